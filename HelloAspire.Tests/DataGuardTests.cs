using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>Mistakes that would cost data elsewhere: each fails the start at once, says how to fix it, and touches nothing.</summary>
public sealed class DataGuardTests : IAsyncDisposable
{
    private const string Password = "the-password-the-data-was-made-with";
    private readonly TestApps _apps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Args(string password = Password, params string[] more) => HelloApp.LocalModeWithPassword(_apps.Data.Path, password, more);

    [Fact]
    public async Task AChangedPasswordFailsTheStartWithBothFixesAndKeepsTheData()
    {
        var first = await _apps.RunUntilWorkerEndsAsync(Args(), Ct);
        Assert.Equal(0, first.Worker.ExitCode);

        var changed = await _apps.RunUntilWorkerEndsAsync(Args("a-new-password-0123456789"), Ct);

        Assert.Equal(KnownResourceStates.FailedToStart, changed.Worker.State?.Text);
        Assert.Contains("was created with another password", changed.PostgresLog);
        Assert.Contains("restore the old value of Parameters:postgres-password", changed.PostgresLog);
        Assert.Contains($"reset the data by deleting '{_apps.Data.Path}'", changed.PostgresLog);

        var restored = await _apps.RunUntilWorkerEndsAsync(Args(), Ct);
        Assert.Equal(0, restored.Worker.ExitCode);
    }

    [Fact]
    public async Task ASecondAppHostOnTheSameDataStopsBeforeStartingAnythingAndNamesTheFirst()
    {
        var first = await _apps.StartAsync(Args(), Ct);
        Assert.Equal(0, (await first.WaitForWorkerToEndAsync(Ct)).ExitCode);
        var serverPid = HelloApp.PostmasterPid(_apps.Data.Path);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => _apps.StartAsync(Args(), Ct));

        // The first AppHost runs inside this test process, so its process id is ours.
        Assert.Contains($"HelloAspire is already running on the data in '{_apps.Data.Path}' (process {Environment.ProcessId}", refused.Message);
        Assert.Contains("nothing was touched", refused.Message);
        Assert.Contains("Postgres:DataDirectory", refused.Message);
        Assert.Equal(serverPid, HelloApp.PostmasterPid(_apps.Data.Path));
        await first.ResourceCommands.ExecuteCommandAsync("worker", KnownResourceCommands.StartCommand, Ct);
        using var timeout = HelloApp.Timeout(HelloApp.WorkerTimeout, Ct);
        await first.ResourceNotifications.WaitForResourceHealthyAsync("postgres", timeout.Token);
    }

    /// <summary>What a user sees from a second <c>dotnet run</c>: one line that names the running one, exit code 1, no stack trace.</summary>
    [Fact]
    public async Task ASecondAppHostProcessOnTheSameDataSaysSoInOneLineAndExitsWithOne()
    {
        using var timeout = HelloApp.Timeout(HelloApp.StartTimeout, Ct);
        using var first = AppHostProcess.Start(Args());
        var firstConsole = new AppHostConsole(first);
        try
        {
            await firstConsole.WaitForWorkerToEndAsync(timeout.Token);

            using var second = AppHostProcess.Start(Args());
            var secondConsole = new AppHostConsole(second);
            await second.WaitForExitAsync(timeout.Token);
            var errors = await secondConsole.Errors;

            Assert.Equal(1, second.ExitCode);
            var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error: HelloAspire is already running on the data in '{_apps.Data.Path}' (process {first.Id})", line);
            Assert.DoesNotContain("   at ", errors);
        }
        finally
        {
            await AppHostProcess.StopAsync(first, firstConsole, HelloApp.StartTimeout);
        }
    }

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

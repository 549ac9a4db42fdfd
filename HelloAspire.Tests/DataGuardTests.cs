using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>Mistakes that would cost data elsewhere: each fails the start at once, says how to fix it, and touches nothing.</summary>
public sealed class DataGuardTests : IDisposable
{
    private const string Password = "the-password-the-data-was-made-with";
    private readonly TemporaryDirectory _data = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Args(string password = Password, params string[] more) => HelloApp.LocalModeWithPassword(_data.Path, password, more);

    [Fact]
    public async Task AChangedPasswordFailsTheStartWithBothFixesAndKeepsTheData()
    {
        var first = await HelloApp.RunUntilWorkerEndsAsync(Args(), _data.Path, Ct);
        Assert.Equal(0, first.Worker.ExitCode);

        var changed = await HelloApp.RunUntilWorkerEndsAsync(Args("a-new-password-0123456789"), _data.Path, Ct);

        Assert.Equal(KnownResourceStates.FailedToStart, changed.Worker.State?.Text);
        Assert.Contains("was created with another password", changed.PostgresLog);
        Assert.Contains("restore the old value of Parameters:postgres-password", changed.PostgresLog);
        Assert.Contains($"reset the data by deleting '{_data.Path}'", changed.PostgresLog);

        var restored = await HelloApp.RunUntilWorkerEndsAsync(Args(), _data.Path, Ct);
        Assert.Equal(0, restored.Worker.ExitCode);
    }

    [Fact]
    public async Task ASecondAppHostOnTheSameDataFailsAndLeavesTheFirstAlone()
    {
        var first = await HelloApp.StartAsync(Args(), Ct);
        Assert.Equal(0, (await first.WaitForWorkerToEndAsync(Ct)).ExitCode);
        var serverPid = HelloApp.PostmasterPid(_data.Path);

        var second = await HelloApp.StartAsync(Args(), Ct);
        var refused = await second.WaitForWorkerToEndAsync(Ct);
        var log = await second.LogsOfAsync("postgres", Ct);
        await second.DisposeAsync();

        Assert.Equal(KnownResourceStates.FailedToStart, refused.State?.Text);
        Assert.Contains("is in use by another AppHost", log);
        Assert.Equal(serverPid, HelloApp.PostmasterPid(_data.Path));
        await first.ResourceCommands.ExecuteCommandAsync("worker", KnownResourceCommands.StartCommand, Ct);
        using var timeout = HelloApp.Timeout(HelloApp.WorkerTimeout, Ct);
        await first.ResourceNotifications.WaitForResourceHealthyAsync("postgres", timeout.Token);
        await first.StopAndWaitForServerExitAsync(_data.Path, Ct);
    }

    public void Dispose() => _data.Dispose();
}

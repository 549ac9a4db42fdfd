using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// The life of a kept volume, as a user with Podman or Docker lives it: the first run seeds it; the next reuses it with
/// the password Aspire generated and kept; a run with another password says so in one line (Aspire alone would wait
/// without end and without a word, microsoft/aspire#5399), and the dashboard's Reset data, which the line names, gets
/// the waiting worker its hello. (Both clients on a first start: <see cref="NodeClientTests"/>.)
/// </summary>
public sealed class ContainerKeptVolumeTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly ContainerApp _container = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AVolumeIsSeededOnceReusedWithItsGeneratedPasswordAndAnotherPasswordIsRefusedInOneLineUntilReset()
    {
        await _container.RequireWithVolumeInRamAsync(Ct);

        // No password given: Aspire generates one and keeps it in this test's user secrets, as it does for a user.
        var first = await _apps.RunUntilWorkerEndsAsync(_container.Args(), Ct);
        var second = await _apps.RunUntilWorkerEndsAsync(_container.Args(), Ct);

        // Aspire's start only ends once the worker, waiting for postgres, is created: here, after the reset.
        var (app, started) = await _apps.BeginStartAsync(_container.Args("--Parameters:postgres-password=another-password-than-the-volumes"), Ct);
        var refused = await ServerCommands.WaitForTerminalStateAsync(app, "postgres", Ct);
        var refusal = await app.LogsOfAsync("postgres", Ct);
        var workerWhileRefused = app.ResourceNotifications.TryGetCurrentState("worker", out var waiting) ? waiting.Snapshot.State?.Text : null;
        await ServerCommands.ExecuteAsync(app, "postgres", HelloAspire.AppHost.Database.ResetDataCommand.Name, Ct);
        await started;
        var afterReset = await app.WaitForWorkerToEndAsync(Ct);
        var afterResetLog = await app.LogsOfAsync("worker", Ct);
        await _apps.StopAsync(app, Ct);

        Assert.Equal(0, first.Worker.ExitCode);
        Assert.Contains("running /docker-entrypoint-initdb.d/01-hello.sql", first.PostgresLog);
        Assert.Contains("Hello world", first.WorkerLog);

        Assert.Equal(0, second.Worker.ExitCode);
        Assert.Contains("Hello world", second.WorkerLog);
        Assert.Contains("Skipping initialization", second.PostgresLog);
        Assert.DoesNotContain("docker-entrypoint-initdb.d", second.PostgresLog);

        Assert.Equal(0, refused.ExitCode); // stopped by the AppHost (a fast shutdown), not crashed
        Assert.Contains(
            $"postgres: the password in Parameters:postgres-password is not the one the data in the volume '{_container.Volume}' was made with " +
            "(PostgreSQL refuses it: 28P01 password authentication failed), so postgres can never become healthy: it was stopped. " +
            "Fix: set Parameters:postgres-password back",
            refusal);
        Assert.Equal(KnownResourceStates.Waiting, workerWhileRefused);
        Assert.Equal(0, afterReset.ExitCode);
        Assert.Contains("Hello world", afterResetLog);
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        await _container.DisposeAsync();
    }
}

using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>The container dies while the app runs: it comes back from the dashboard's start command with its volume's rows.</summary>
public sealed class ContainerFaultTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly ContainerApp _container = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AKilledContainerIsStartedAgainFromTheDashboardWithItsRowsAndTheWorkerSaysHelloAgain()
    {
        await _container.RequireWithVolumeInRamAsync(Ct);
        var app = await _apps.StartAsync(_container.Args($"--Parameters:postgres-password={HelloApp.TestPassword}"), Ct);
        var first = await app.WaitForWorkerToEndAsync(Ct);
        var connectionString = await app.GetConnectionStringAsync("hello", Ct);
        await ServerCommands.ExecuteSqlAsync(connectionString!, "CREATE TABLE kept (id integer PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, 10);", Ct);

        await Containers.RunCheckedAsync(["kill", _container.ContainerOf(app)], Ct);
        await ServerCommands.WaitForTerminalStateAsync(app, "postgres", Ct);
        await ServerCommands.StartAndWaitHealthyAsync(app, "postgres", Ct);
        // The container is new, and so may be its host port: the connection string is asked for again.
        connectionString = await app.GetConnectionStringAsync("hello", Ct);
        var rows = await ServerCommands.ScalarAsync<long>(connectionString!, "SELECT count(*) FROM kept", Ct);
        await ServerCommands.ExecuteAsync(app, "worker", KnownResourceCommands.StartCommand, Ct);
        using var timeout = HelloApp.Timeout(HelloApp.WorkerTimeout, Ct);
        var second = await app.ResourceNotifications.WaitForResourceAsync("worker",
            e => e.Snapshot.State?.Text == KnownResourceStates.Finished && e.Snapshot.StartTimeStamp > first.StartTimeStamp, timeout.Token);
        var log = await app.LogsOfAsync("worker", Ct);
        await _apps.StopAsync(app, Ct);

        Assert.Equal(10, rows);
        Assert.Equal(0, second.Snapshot.ExitCode);
        Assert.Contains("Hello world", log);
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        await _container.DisposeAsync();
    }
}

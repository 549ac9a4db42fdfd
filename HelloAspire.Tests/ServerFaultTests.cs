using System.Diagnostics;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The server dies or is stopped while the app runs: it comes back from the dashboard's commands with every committed row.</summary>
public sealed class ServerFaultTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AKilledServerIsRestartedFromTheDashboardWithEveryCommittedRow()
    {
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), Ct);
        await app.WaitForWorkerToEndAsync(Ct);
        var connectionString = await app.GetConnectionStringAsync("hello", Ct);
        await ServerCommands.ExecuteSqlAsync(connectionString!, KeptRows(100), Ct);

        using (var postmaster = Process.GetProcessById(HelloApp.PostmasterPid(_apps.Data.Path)!.Value))
        {
            postmaster.Kill(); // SIGKILL: no shutdown checkpoint, crash recovery must run
        }

        await ServerCommands.WaitForTerminalStateAsync(app, "postgres", Ct);
        await ServerCommands.StartAndWaitHealthyAsync(app, "postgres", Ct);
        var rows = await ServerCommands.ScalarAsync<long>(connectionString!, "SELECT count(*) FROM kept", Ct);
        var log = await app.LogsOfAsync("postgres", Ct);
        await _apps.StopAsync(app, Ct);

        Assert.Equal(100, rows);
        Assert.Contains("automatic recovery in progress", log);
    }

    [Fact]
    public async Task StoppingAndStartingTheServerKeepsTheDataAndTheWorkerSaysHelloAgain()
    {
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), Ct);
        var first = await app.WaitForWorkerToEndAsync(Ct);
        var connectionString = await app.GetConnectionStringAsync("hello", Ct);
        await ServerCommands.ExecuteSqlAsync(connectionString!, KeptRows(10), Ct);

        await ServerCommands.ExecuteAsync(app, "postgres", KnownResourceCommands.StopCommand, Ct);
        await ServerCommands.WaitForTerminalStateAsync(app, "postgres", Ct);
        await ServerCommands.StartAndWaitHealthyAsync(app, "postgres", Ct);
        await ServerCommands.ExecuteAsync(app, "worker", KnownResourceCommands.StartCommand, Ct);
        var second = await app.WaitForWorkerToFinishAgainAsync(first, Ct);
        var rows = await ServerCommands.ScalarAsync<long>(connectionString!, "SELECT count(*) FROM kept", Ct);
        var log = await app.LogsOfAsync("worker", Ct);
        await _apps.StopAsync(app, Ct);

        Assert.Equal(0, second.ExitCode);
        Assert.Contains("Hello world", log); // the log of the second run: a restart starts a fresh console log
        Assert.Equal(10, rows);
    }

    private static string KeptRows(int count) => $"CREATE TABLE kept (id integer PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, {count});";

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

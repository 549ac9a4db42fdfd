using System.Diagnostics;
using HelloAspire.Tests.Support;
using Npgsql;

namespace HelloAspire.Tests;

/// <summary>The server dies or is stopped while the app runs: it comes back from the dashboard's commands with every committed row.</summary>
public sealed class ServerFaultTests : IDisposable
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(60);

    private readonly TemporaryDirectory _data = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AKilledServerIsRestartedFromTheDashboardWithEveryCommittedRow()
    {
        var app = await HelloApp.StartAsync(HelloApp.LocalMode(_data.Path), Ct);
        await app.WaitForWorkerToEndAsync(Ct);
        var connectionString = await app.GetConnectionStringAsync("hello", Ct);
        await WriteRowsAsync(connectionString!, 100);

        using (var postmaster = Process.GetProcessById(HelloApp.PostmasterPid(_data.Path)!.Value))
        {
            postmaster.Kill(); // SIGKILL: no shutdown checkpoint, crash recovery must run
        }

        await WaitForTerminalStateAsync(app, "postgres");
        await StartAndWaitHealthyAsync(app, "postgres");
        var rows = await CountRowsAsync(connectionString!);
        var log = await app.LogsOfAsync("postgres", Ct);
        await app.StopAndWaitForServerExitAsync(_data.Path, Ct);

        Assert.Equal(100, rows);
        Assert.Contains("automatic recovery in progress", log);
    }

    [Fact]
    public async Task StoppingAndStartingTheServerKeepsTheDataAndTheWorkerSaysHelloAgain()
    {
        var app = await HelloApp.StartAsync(HelloApp.LocalMode(_data.Path), Ct);
        var first = await app.WaitForWorkerToEndAsync(Ct);
        var connectionString = await app.GetConnectionStringAsync("hello", Ct);
        await WriteRowsAsync(connectionString!, 10);

        await ExecuteAsync(app, "postgres", KnownResourceCommands.StopCommand);
        await WaitForTerminalStateAsync(app, "postgres");
        await StartAndWaitHealthyAsync(app, "postgres");
        await ExecuteAsync(app, "worker", KnownResourceCommands.StartCommand);
        using var timeout = HelloApp.Timeout(HelloApp.WorkerTimeout, Ct);
        var second = await app.ResourceNotifications.WaitForResourceAsync("worker",
            e => e.Snapshot.State?.Text == KnownResourceStates.Finished && e.Snapshot.StartTimeStamp > first.StartTimeStamp, timeout.Token);
        var rows = await CountRowsAsync(connectionString!);
        var log = await app.LogsOfAsync("worker", Ct);
        await app.StopAndWaitForServerExitAsync(_data.Path, Ct);

        Assert.Equal(0, second.Snapshot.ExitCode);
        Assert.Contains("Hello world", log); // the log of the second run: a restart starts a fresh console log
        Assert.Equal(10, rows);
    }

    private static async Task ExecuteAsync(DistributedApplication app, string resource, string command)
    {
        using var timeout = HelloApp.Timeout(s_commandTimeout, Ct);
        var result = await app.ResourceCommands.ExecuteCommandAsync(resource, command, timeout.Token);
        Assert.True(result.Success, $"{command} {resource}: {result.Message}");
    }

    private static async Task StartAndWaitHealthyAsync(DistributedApplication app, string resource)
    {
        await ExecuteAsync(app, resource, KnownResourceCommands.StartCommand);
        using var timeout = HelloApp.Timeout(s_commandTimeout, Ct);
        await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
    }

    private static async Task WaitForTerminalStateAsync(DistributedApplication app, string resource)
    {
        using var timeout = HelloApp.Timeout(s_commandTimeout, Ct);
        await app.ResourceNotifications.WaitForResourceAsync(resource,
            e => e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), timeout.Token);
    }

    private static async Task WriteRowsAsync(string connectionString, int count)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync(Ct);
        await using var write = new NpgsqlCommand(
            $"CREATE TABLE kept (id integer PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, {count});", connection);
        await write.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<long> CountRowsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync(Ct);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM kept", connection);
        return (long)(await count.ExecuteScalarAsync(Ct))!;
    }

    public void Dispose() => _data.Dispose();
}

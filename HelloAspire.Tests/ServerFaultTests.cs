using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The server dies or is stopped while the app runs: it comes back from the dashboard's commands with every committed row.</summary>
public sealed class ServerFaultTests : IAsyncDisposable
{
    // The worker's budget and its start; the health check's next look, once the server is silent.
    private static readonly TimeSpan s_silentServerWorkerTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_unhealthyTimeout = TimeSpan.FromSeconds(60);

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

    /// <summary>
    /// The server stops answering (SIGSTOP) while a worker reads: the worker ends within its budget with exit code 9
    /// and the one line that says what happened and what to do, and postgres shows unhealthy.
    /// </summary>
    [Fact]
    public async Task AServerThatStopsAnsweringEndsTheWorkersReadWithinItsBudgetWithItsOwnExitCodeAndShowsUnhealthy()
    {
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), Ct);
        await app.WaitForWorkerToEndAsync(Ct);
        var connectionString = (await app.GetConnectionStringAsync("hello", Ct))!;
        var postmaster = HelloApp.PostmasterPid(_apps.Data.Path)!.Value;
        Signal("STOP", postmaster);
        try
        {
            using var worker = ClientProcess.Start(new Dictionary<string, string?>
            {
                ["ConnectionStrings__hello"] = connectionString,
                ["Hello__ConnectRetryBudget"] = "00:00:03",
            });
            var (exitCode, output, errors) = await worker.WaitForExitAsync(s_silentServerWorkerTimeout, Ct);
            using var unhealthy = HelloApp.Timeout(s_unhealthyTimeout, Ct);
            var postgres = await app.ResourceNotifications.WaitForResourceAsync("postgres", e => e.Snapshot.HealthStatus == HealthStatus.Unhealthy, unhealthy.Token);

            Assert.True(exitCode == 9 && output.Contains("Nothing answered at ", StringComparison.Ordinal) && output.Contains("Fix: check that the server runs and is not paused", StringComparison.Ordinal),
                $"Expected exit code 9 and the line that nothing answered, with its fix; exit code {exitCode}:{Environment.NewLine}{output}{errors}");
            Assert.Equal(HealthStatus.Unhealthy, postgres.Snapshot.HealthStatus);
        }
        finally
        {
            Signal("CONT", postmaster);
        }

        await _apps.StopAsync(app, Ct);
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.True(kill.ExitCode == 0, $"kill -{signal} {pid} failed with exit code {kill.ExitCode}");
    }

    private static string KeptRows(int count) => $"CREATE TABLE kept (id integer PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, {count});";

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// Ctrl+C (here SIGTERM, which takes the same path) while the app is still starting: Aspire's Run ends without stopping
/// the host, so the AppHost must still end its local server and let go of the data, and say so without a stack trace.
/// </summary>
public sealed class StopDuringStartTests : IAsyncDisposable
{
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(30);

    private readonly TestApps _apps = new();
    private readonly TemporaryDirectory _seed = new();

    [Fact]
    public async Task AStopDuringTheFirstStartsSeedEndsItsServerInOneLineAndTheNextRunSeedsAfresh()
    {
        var ct = TestContext.Current.CancellationToken;
        var script = _seed.Combine("01-slow.sql");
        await File.WriteAllTextAsync(script, "SELECT pg_sleep(120);", ct);

        using var appHost = AppHostProcess.Start(HelloApp.LocalMode(_apps.Data.Path, $"--Postgres:SeedDirectory={_seed.Path}"));
        var console = new AppHostConsole(appHost);
        int initServer;
        try
        {
            // The first start's init server runs the seed, which sleeps: a backend of this data's server (its working
            // directory is PGDATA) whose title says it runs a SELECT in database hello.
            var pgData = _apps.Data.Combine("pgdata");
            Assert.True(await ServerProcesses.PollUntilAsync(() => ProcessCommandLines.InFolder(pgData).Any(line => line.Contains(" hello ", StringComparison.Ordinal) && line.Contains(" SELECT", StringComparison.Ordinal)), HelloApp.StartTimeout, ct),
                $"The seed did not start. The AppHost's console:{Environment.NewLine}{console.Tail(40)}");
            initServer = HelloApp.PostmasterPid(_apps.Data.Path)!.Value;
        }
        finally
        {
            // Stopped on every path: a failed wait must not leave an AppHost (and its DCP and server) running.
            await AppHostProcess.StopAsync(appHost, console, s_stopTimeout);
        }

        var outlived = ServerProcesses.IsPostgresRunning(initServer);
        await console.Reading.WaitAsync(ct);
        var entries = AppHostProcess.Entries(console.Lines);
        var next = await _apps.RunUntilWorkerEndsAsync(HelloApp.LocalMode(_apps.Data.Path), ct);

        Assert.False(outlived, $"The init server (process {initServer}) outlived its AppHost.");
        Assert.Equal(0, appHost.ExitCode);
        Assert.DoesNotContain(entries, e => e.StartsWith("fail:", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Contains("Stopping before every resource has started", StringComparison.Ordinal));
        Assert.Equal(0, next.Worker.ExitCode);
        Assert.Contains("did not finish; initializing it again", next.PostgresLog);
        Assert.Contains("Hello world", next.WorkerLog);
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        _seed.Dispose();
    }
}

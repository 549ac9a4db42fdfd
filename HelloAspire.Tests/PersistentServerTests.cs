using System.Security.Cryptography;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// <c>Postgres:Lifetime=persistent</c>: the server outlives its AppHost, the next run adopts it, the data lock and the
/// password check still hold, and it stops the two documented ways. Each test has its own AppHost identity
/// (<c>AppHostSha</c>), so its kept server is never taken for a developer's or another test's (DCP keys persistent
/// executables by resource name and AppHost), and a fixed port, so Aspire keeps no port in the user secrets. The
/// testing builder's random ports are turned off: a persistent executable needs its own port to be adopted.
/// </summary>
public sealed class PersistentServerTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly string _appHostIdentity = $"--AppHostSha={Convert.ToHexString(RandomNumberGenerator.GetBytes(32))}";
    private readonly int _port = HelloApp.FreeFixedPort();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Persistent(params string[] more) =>
        HelloApp.LocalMode(_apps.Data.Path, ["--Postgres:Lifetime=persistent", $"--Postgres:Port={_port}", _appHostIdentity, "--DcpPublisher:RandomizePorts=false", .. more]);

    /// <summary>
    /// Four runs on one data directory: persistent (the server outlives its AppHost); persistent with another password
    /// (refused, the kept server untouched); persistent (adopted: same process, no seed; then stopped from the dashboard
    /// for good and started again, a new kept server); a run without the setting (stops the kept server first, and its
    /// own server at its end).
    /// </summary>
    [Fact]
    public async Task TheServerOutlivesItsAppHostIsAdoptedOnlyWithThePasswordAndStopsTheTwoDocumentedWays()
    {
        var first = await _apps.RunUntilWorkerEndsAsync(Persistent(), Ct);
        var kept = HelloApp.PostmasterPid(_apps.Data.Path)!.Value;
        var outlivedItsAppHost = ServerProcesses.IsPostgresRunning(kept);

        var wrong = await _apps.RunUntilWorkerEndsAsync(Persistent("--Parameters:postgres-password=not-the-password-of-the-data"), Ct);
        var keptThroughTheRefusal = ServerProcesses.IsPostgresRunning(kept);

        var app = await _apps.StartAsync(Persistent(), Ct);
        var adopted = await app.WaitForWorkerToEndAsync(Ct);
        var adoptedLog = await app.LogsOfAsync("postgres", Ct);
        var adoptedPid = HelloApp.PostmasterPid(_apps.Data.Path);
        await ServerCommands.ExecuteAsync(app, "postgres", KnownResourceCommands.StopCommand, Ct);
        await ServerCommands.WaitForTerminalStateAsync(app, "postgres", Ct);
        var stoppedFromTheDashboard = await ServerProcesses.WaitForExitAsync(kept, HelloApp.ServerExitTimeout, Ct);
        await ServerCommands.StartAndWaitHealthyAsync(app, "postgres", Ct);
        await _apps.StopAsync(app, Ct);
        var keptAgain = HelloApp.PostmasterPid(_apps.Data.Path)!.Value;
        var keptAgainOutlivedItsAppHost = ServerProcesses.IsPostgresRunning(keptAgain);

        var session = await _apps.RunUntilWorkerEndsAsync(HelloApp.LocalMode(_apps.Data.Path, $"--Postgres:Port={_port}", _appHostIdentity, "--DcpPublisher:RandomizePorts=false"), Ct);

        Assert.Equal(0, first.Worker.ExitCode);
        Assert.True(outlivedItsAppHost, "the server stopped with its AppHost");
        Assert.Equal(KnownResourceStates.FailedToStart, wrong.Worker.State?.Text);
        Assert.Contains("was made with another password than Parameters:postgres-password holds now", wrong.PostgresLog);
        Assert.True(keptThroughTheRefusal, "a refused start stopped the kept server");
        Assert.Equal(0, adopted.ExitCode);
        Assert.Contains($"Adopting the kept-running server on {_apps.Data.Combine("pgdata")} (process {kept})", adoptedLog);
        Assert.Contains("new data this start: False", adoptedLog);
        Assert.Equal(kept, adoptedPid);
        Assert.True(stoppedFromTheDashboard, "the stop command left the kept server running");
        Assert.NotEqual(kept, keptAgain);
        Assert.True(keptAgainOutlivedItsAppHost, "the server started again from the dashboard stopped with its AppHost");
        Assert.Equal(0, session.Worker.ExitCode);
        Assert.Contains($"Stopped the kept-running server (process {keptAgain}) before this start: Postgres:Lifetime is session now.", session.PostgresLog);
        Assert.Null(RunningServerPid()); // and the session run's own server stopped at its end
    }

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();

    private int? RunningServerPid() => HelloApp.PostmasterPid(_apps.Data.Path) is { } pid && ServerProcesses.IsPostgresRunning(pid) ? pid : null;
}

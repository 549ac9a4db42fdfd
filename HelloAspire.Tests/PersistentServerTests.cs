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
    private readonly int _port = HelloApp.FreePort();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Persistent(params string[] more) =>
        HelloApp.LocalMode(_apps.Data.Path, ["--Postgres:Lifetime=persistent", $"--Postgres:Port={_port}", _appHostIdentity, "--DcpPublisher:RandomizePorts=false", .. more]);

    [Fact]
    public async Task TheServerOutlivesItsAppHostTheNextRunAdoptsItAndARunWithoutTheSettingStopsIt()
    {
        var first = await _apps.RunUntilWorkerEndsAsync(Persistent(), Ct);
        var kept = HelloApp.PostmasterPid(_apps.Data.Path);
        var outlivedItsAppHost = kept is { } pid && HelloApp.IsServerRunning(pid);

        var second = await _apps.RunUntilWorkerEndsAsync(Persistent(), Ct);
        var stillKept = HelloApp.PostmasterPid(_apps.Data.Path);

        var session = await _apps.RunUntilWorkerEndsAsync(HelloApp.LocalMode(_apps.Data.Path, $"--Postgres:Port={_port}", _appHostIdentity, "--DcpPublisher:RandomizePorts=false"), Ct);

        Assert.Equal(0, first.Worker.ExitCode);
        Assert.True(outlivedItsAppHost, "the server stopped with its AppHost");
        Assert.Equal(0, second.Worker.ExitCode);
        Assert.Contains("Hello world", second.WorkerLog);
        Assert.Contains($"Adopting the kept-running server on {_apps.Data.Combine("pgdata")} (process {kept})", second.PostgresLog);
        Assert.Contains("seeded this start: False", second.PostgresLog);
        Assert.Equal(kept, stillKept);
        Assert.Equal(0, session.Worker.ExitCode);
        Assert.Contains($"Stopped the kept-running server (process {kept}) before this start: Postgres:Lifetime is session now.", session.PostgresLog);
        Assert.False(HelloApp.IsServerRunning(kept!.Value), "the kept server is still running");
        Assert.Null(RunningServerPid()); // and the session run's own server stopped with it
    }

    [Fact]
    public async Task AKeptServerIsNotAdoptedWithAnotherPasswordAndStopsForGoodFromTheDashboard()
    {
        await _apps.RunUntilWorkerEndsAsync(Persistent(), Ct);
        var kept = HelloApp.PostmasterPid(_apps.Data.Path)!.Value;

        var wrong = await _apps.RunUntilWorkerEndsAsync(Persistent("--Parameters:postgres-password=not-the-password-of-the-data"), Ct);
        Assert.Equal(KnownResourceStates.FailedToStart, wrong.Worker.State?.Text);
        Assert.Contains("was created with another password", wrong.PostgresLog);
        Assert.True(HelloApp.IsServerRunning(kept), "a refused start stopped the kept server");

        var app = await _apps.StartAsync(Persistent(), Ct);
        await app.WaitForWorkerToEndAsync(Ct);
        await ServerCommands.ExecuteAsync(app, "postgres", KnownResourceCommands.StopCommand, Ct);
        await ServerCommands.WaitForTerminalStateAsync(app, "postgres", Ct);
        await _apps.StopAsync(app, Ct);

        Assert.False(HelloApp.IsServerRunning(kept), "the stop command left the kept server running");
        Assert.Null(RunningServerPid());
    }

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();

    private int? RunningServerPid() => HelloApp.PostmasterPid(_apps.Data.Path) is { } pid && HelloApp.IsServerRunning(pid) ? pid : null;
}

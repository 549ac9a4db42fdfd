using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// Container mode run for real, through DCP and the container runtime (<see cref="Containers"/>): what a user with
/// Docker or Podman gets. The first start, which runs the Node.js client too, is in <see cref="ContainerFirstStartTests"/>,
/// and the deploy image in <see cref="DeployImageTests"/>.
/// </summary>
public sealed class ContainerModeTests : IAsyncDisposable
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(90);

    private readonly TestApps _apps = new();
    private readonly ContainerApp _container = new();
    private readonly TemporaryDirectory _seed = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AKeptVolumeIsReusedWithoutSeedingAgainAndWithItsGeneratedPassword()
    {
        await Containers.RequireAsync(Ct);

        // No password given: Aspire generates one and keeps it in this test's user secrets, as for a user.
        var first = await _apps.RunUntilWorkerEndsAsync(_container.Args(), Ct);
        var second = await _apps.RunUntilWorkerEndsAsync(_container.Args(), Ct);

        Assert.Equal(0, first.Worker.ExitCode);
        Assert.Contains("running /docker-entrypoint-initdb.d/01-hello.sql", first.PostgresLog);
        Assert.Equal(0, second.Worker.ExitCode);
        Assert.Contains("Hello world", second.WorkerLog);
        Assert.Contains("Skipping initialization", second.PostgresLog);
        Assert.DoesNotContain("docker-entrypoint-initdb.d", second.PostgresLog);
    }

    [Fact]
    public async Task APasswordTheKeptVolumeRefusesEndsTheRunWithOneLineThatSaysSoAndTheFix()
    {
        await Containers.RequireAsync(Ct);
        var made = await _apps.RunUntilWorkerEndsAsync(_container.Args($"--Parameters:postgres-password={HelloApp.TestPassword}"), Ct);
        Assert.Equal(0, made.Worker.ExitCode);

        var (exitCode, lines) = await RunOnceAsync(_container.Args("--Parameters:postgres-password=another-password-than-the-volumes", "--RunOnce=true"));

        var failures = AppHostProcess.Entries(lines).Where(line => line.StartsWith("fail:", StringComparison.Ordinal)).ToList();
        Assert.True(exitCode == 1 && failures is [var failure]
            && failure.Contains("28P01", StringComparison.Ordinal)
            && failure.Contains($"the volume '{_container.Volume}'", StringComparison.Ordinal)
            && failure.Contains("Fix: set Parameters:postgres-password back", StringComparison.Ordinal),
            $"Expected exit code 1 and one error line that names the refused password, the volume and the fix; exit code {exitCode}, console:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
    }

    [Fact]
    public async Task AFailingSeedScriptEndsTheRunWithPsqlsErrorAndTheFix()
    {
        await Containers.RequireAsync(Ct);
        await File.WriteAllTextAsync(_seed.Combine("01-broken.sql"), "SELEC 1;", Ct);

        var (exitCode, lines) = await RunOnceAsync(_container.Args($"--Postgres:SeedDirectory={_seed.Path}", "--RunOnce=true"));

        var failures = AppHostProcess.Entries(lines).Where(line => line.StartsWith("fail:", StringComparison.Ordinal)).ToList();
        Assert.True(exitCode == 1 && failures is [var failure]
            && failure.Contains("before it was ready", StringComparison.Ordinal)
            && failure.Contains("""01-broken.sql:1: ERROR:  syntax error at or near "SELEC".""", StringComparison.Ordinal)
            && failure.Contains($"volume rm {_container.Volume}", StringComparison.Ordinal),
            $"Expected exit code 1 and one error line with psql's error and the fix; exit code {exitCode}, console:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
    }

    [Fact]
    public async Task AKilledContainerIsStartedAgainFromTheDashboardWithItsRowsAndTheWorkerSaysHelloAgain()
    {
        await Containers.RequireAsync(Ct);
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

    [Fact]
    public async Task ThrowawayDataLeavesNoVolumeBehind()
    {
        await Containers.RequireAsync(Ct);
        var app = await _apps.StartAsync(_container.Args("--Postgres:TemporaryData=true"), Ct);
        var worker = await app.WaitForWorkerToEndAsync(Ct);
        var container = _container.ContainerOf(app);
        var volumes = (await Containers.RunCheckedAsync(["container", "inspect", "--format", "{{range .Mounts}}{{.Name}} {{end}}", container], Ct))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        await _apps.StopAsync(app, Ct);
        // DCP removes the container (and with it its anonymous volume) as the app stops; `wait` returns once it is gone.
        await Containers.RunAsync(["wait", "--condition=removing", container], Ct);

        Assert.Equal(0, worker.ExitCode);
        Assert.NotEmpty(volumes); // the image's VOLUME: an anonymous volume, which must go with the container
        Assert.DoesNotContain(_container.Volume, volumes);
        foreach (var volume in volumes)
        {
            Assert.False(await Containers.VolumeExistsAsync(volume, Ct), $"The throwaway container's volume {volume} is still there.");
        }
    }

    /// <summary>Runs the AppHost as a user does (<c>--RunOnce=true</c>): its exit code and console.</summary>
    private static Task<(int ExitCode, IReadOnlyList<string> Lines)> RunOnceAsync(string[] args) =>
        AppHostProcess.RunToEndAsync(args, s_runTimeout, Ct);

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        await _container.DisposeAsync();
        _seed.Dispose();
    }
}

using HelloAspire.Tests.Support;
using Npgsql;

namespace HelloAspire.Tests;

/// <summary>
/// The seeding step against a server the app does not start (existing mode with Postgres:SeedExisting=true; deployed,
/// a managed server): here a local server with an empty database stands in for the managed one.
/// </summary>
[Collection(StartedSecond.Name)]
public sealed class SeedStepTests : IAsyncDisposable
{
    private const string Password = "stand-in-managed-server-password-1";

    private readonly TestApps _apps = new();
    private readonly TemporaryDirectory _emptySeed = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnExistingDatabaseIsSeededOnceEachScriptInATransactionScriptsAddedLaterReachItOnceEvenFromTwoSeedersAtOnceAndTheWorkerSaysHello()
    {
        var port = await StartEmptyServerAsync();

        var refused = await _apps.RunUntilWorkerEndsAsync(Existing(port, "not-the-password"), Ct);
        var afterRefusal = await CountAsync(port,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'hello'", "SELECT count(*) FROM pg_tables WHERE tablename = 'helloaspire_seed_history'");
        var first = await _apps.RunUntilWorkerEndsAsync(Existing(port, Password), Ct);
        var second = await _apps.RunUntilWorkerEndsAsync(Existing(port, Password), Ct);
        var afterTwoRuns = await CountAsync(port, "SELECT count(*) FROM hello", "SELECT count(*) FROM helloaspire_seed_history");
        var (deployedStayedUp, deployed) = await RunDeployedWorkerAsync(port);

        // Later scripts: 02 fails half-way and keeps nothing of itself; fixed, it runs with a 03 added since, from two
        // seeders at once (03 sleeps, so that they overlap); then the applied 01 is edited, which is refused.
        using var seed = new TemporaryDirectory();
        File.Copy(Path.Combine(RepositorySeed, "01-hello.sql"), seed.Combine("01-hello.sql"));
        await File.WriteAllTextAsync(seed.Combine("02-second.sql"), "CREATE TABLE second (id integer); SELECT * FROM nowhere;", Ct);
        var failed = await RunSeedTaskAsync(port, seed.Path);
        var secondTables = await CountAsync(port, "SELECT count(*) FROM pg_tables WHERE tablename = 'second'", "SELECT count(*) FROM helloaspire_seed_history");
        await File.WriteAllTextAsync(seed.Combine("02-second.sql"), "CREATE TABLE second (id integer); INSERT INTO second VALUES (2);", Ct);
        await File.WriteAllTextAsync(seed.Combine("03-third.sql"), "SELECT pg_sleep(1); INSERT INTO second VALUES (3);", Ct);
        var together = await Task.WhenAll(RunSeedTaskAsync(port, seed.Path), RunSeedTaskAsync(port, seed.Path));
        var afterTwoSeeders = await CountAsync(port, "SELECT count(*) FROM second", "SELECT count(*) FROM helloaspire_seed_history");
        await File.AppendAllTextAsync(seed.Combine("01-hello.sql"), "-- edited after it was applied\n", Ct);
        var changed = await RunSeedTaskAsync(port, seed.Path);

        Assert.Equal(KnownResourceStates.FailedToStart, refused.Worker.State?.Text);
        Assert.Equal((0L, 0L), afterRefusal);
        Assert.Equal(0, first.Worker.ExitCode);
        Assert.Contains("Hello world", first.WorkerLog);
        Assert.Equal(0, second.Worker.ExitCode);
        Assert.Equal((1L, 1L), afterTwoRuns);
        Assert.True(deployedStayedUp, "a deployed worker must not exit after its run, or the platform starts it again");
        Assert.Contains("Hello world", deployed.Output);
        Assert.Equal(0, deployed.ExitCode); // stopped with SIGTERM, as a platform stops an app

        Assert.Equal(8, failed.ExitCode);
        Assert.Contains("Seed script 02-second.sql failed, and nothing of it was written: relation \"nowhere\" does not exist (SQLSTATE 42P01)", failed.Output);
        Assert.Contains("01-hello.sql was applied before; nothing to do", failed.Output);
        Assert.Equal((0L, 1L), secondTables);
        Assert.All(together, run => Assert.True(run.ExitCode == 0, $"a seeder beside another failed (exit code {run.ExitCode}):{Environment.NewLine}{run.Output}{run.Errors}"));
        Assert.Single(together, run => run.Output.Contains("Seed: applied 03-third.sql.", StringComparison.Ordinal));
        Assert.Equal((2L, 3L), afterTwoSeeders);
        Assert.Equal(8, changed.ExitCode);
        Assert.Contains("Seed script 01-hello.sql changed after it was applied to this database", changed.Output);
    }

    /// <summary>
    /// The tutorial's own way still works beside the rule: <c>psql -f seed/01-hello.sql</c> on an existing server gives
    /// the hello row, and the worker reads it with no seed step (Postgres:SeedExisting is not set, and the server's own
    /// seed folder is empty: the row can only come from psql).
    /// </summary>
    [Fact]
    public async Task TheTutorialsPsqlFileSeedsAnExistingServerAndTheWorkerSaysHelloWithoutASeedStep()
    {
        var port = await StartEmptyServerAsync();
        var psql = PostgresInstallation.Find(null, PostgresInstallation.DefaultCandidates())?.Psql ?? throw new InvalidOperationException("No psql on this machine: ./test.sh installs it.");
        var file = new System.Diagnostics.ProcessStartInfo(psql)
        {
            ArgumentList = { "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--host=127.0.0.1", $"--port={port}", "--username=postgres", "--dbname=hello", $"--file={Path.Combine(RepositorySeed, "01-hello.sql")}" },
            Environment = { ["PGPASSWORD"] = Password },
        };

        var loaded = await BoundedProcess.RunAsync(file, HelloApp.WorkerTimeout, Ct);
        var run = await _apps.RunUntilWorkerEndsAsync([Existing(port, Password)[0], "--NodeClient:Enabled=false"], Ct);

        Assert.True(loaded.ExitCode == 0, $"psql -f seed/01-hello.sql failed (exit code {loaded.ExitCode}): {loaded.Errors}");
        Assert.Equal(0, run.Worker.ExitCode);
        Assert.Contains("Hello world", run.WorkerLog);
    }

    /// <summary>The worker as deployed (Hello:AfterRun=Stay) against the seeded server: hello, then up until SIGTERM.</summary>
    private static async Task<(bool StayedUp, (int ExitCode, string Output, string Errors) Ended)> RunDeployedWorkerAsync(int port)
    {
        using var worker = ClientProcess.Start(DeployedWorkerTests.Deployed(port, Password));
        await worker.WaitForOutputAsync("staying up until stopped", HelloApp.WorkerTimeout, Ct);
        var stayedUp = !worker.HasExited;
        worker.Terminate();
        return (stayedUp, await worker.WaitForExitAsync(HelloApp.WorkerTimeout, Ct));
    }

    /// <summary>The seeding step's program on its own (the worker with Hello:Task=Seed), as a deployment runs it.</summary>
    private static async Task<(int ExitCode, string Output, string Errors)> RunSeedTaskAsync(int port, string seedDirectory)
    {
        using var seed = ClientProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__hello"] = $"Host=127.0.0.1;Port={port};Username=postgres;Password={Password};Database=hello",
            ["Hello__Task"] = "Seed",
            ["Hello__SeedDirectory"] = seedDirectory,
        });
        return await seed.WaitForExitAsync(HelloApp.WorkerTimeout, Ct);
    }

    /// <summary>A local server whose database 'hello' has no tables (an empty seed directory): the stand-in for a managed server.</summary>
    private async Task<int> StartEmptyServerAsync()
    {
        var port = HelloApp.FreePort();
        var server = await _apps.StartAsync(HelloApp.LocalModeWithPassword(_apps.Data.Path, Password,
            $"--Postgres:Port={port}", "--DcpPublisher:RandomizePorts=false", $"--Postgres:SeedDirectory={_emptySeed.Path}"), Ct);
        using var timeout = HelloApp.Timeout(HelloApp.StartTimeout, Ct);
        await server.ResourceNotifications.WaitForResourceHealthyAsync("hello", timeout.Token);
        return port;
    }

    private static string RepositorySeed =>
        Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "..", "seed"));

    private static string[] Existing(int port, string password) =>
    [
        $"--ConnectionStrings:hello=Host=127.0.0.1;Port={port};Username=postgres;Password={password};Database=hello",
        "--Postgres:SeedExisting=true",
        "--NodeClient:Enabled=false",
    ];

    private static async Task<(long, long)> CountAsync(int port, string first, string second)
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Password={Password};Database=hello;Pooling=false");
        await connection.OpenAsync(Ct);
        await using var one = new NpgsqlCommand(first, connection);
        var a = (long)(await one.ExecuteScalarAsync(Ct))!;
        await using var two = new NpgsqlCommand(second, connection);
        return (a, (long)(await two.ExecuteScalarAsync(Ct))!);
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        _emptySeed.Dispose();
    }
}

using System.Text.RegularExpressions;
using HelloAspire.Tests.Support;
using Npgsql;

namespace HelloAspire.Tests;

/// <summary>The real AppHost, local mode (no container runtime here), each test on its own throwaway data.</summary>
public sealed class EndToEndTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();

    [Fact]
    public async Task WorkerLogsTheSeededHelloRow()
    {
        var run = await _apps.RunUntilWorkerEndsAsync(HelloApp.LocalMode(_apps.Data.Path), TestContext.Current.CancellationToken);

        Assert.Equal(KnownResourceStates.Finished, run.Worker.State?.Text);
        Assert.Equal(0, run.Worker.ExitCode);
        Assert.Contains("Hello world", run.WorkerLog);
        Assert.Contains("Created database \"hello\".", run.PostgresLog);
        Assert.Contains("Seed: applied 01-hello.sql.", run.PostgresLog);
        Assert.Null(HelloApp.PostmasterPid(_apps.Data.Path));

        // Started from its build output, not through `dotnet run` (ProjectLaunch/), as the dashboard shows.
        var path = Assert.IsType<string>(run.Worker.Properties.Single(p => p.Name == "executable.path").Value);
        Assert.Equal("HelloAspire.Worker", Path.GetFileName(path));
    }

    [Fact]
    public async Task SecondStartOnKeptDataDoesNotSeedAgainCreatesOnlyADatabaseDeclaredSinceAndStillSaysHello()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), ct, HelloApp.WithDatabases("inventory"));
        Assert.Equal(0, (await first.WaitForWorkerToEndAsync(ct)).ExitCode);
        var firstLog = await first.LogsOfAsync("postgres", ct);
        await _apps.StopAsync(first, ct);

        var second = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), ct, HelloApp.WithDatabases("inventory", "reports"));
        var worker = await second.WaitForWorkerToEndAsync(ct);
        var workerLog = await second.LogsOfAsync("worker", ct);
        var postgresLog = await second.LogsOfAsync("postgres", ct);
        var rows = await CountHelloRowsAsync(second, ct);
        await _apps.StopAsync(second, ct);

        // New data gets every declared database from the private init server, before the real start and the seed.
        var seeding = firstLog.IndexOf("Seed: applied 01-hello.sql.", StringComparison.Ordinal);
        Assert.InRange(firstLog.IndexOf("Created database \"inventory\".", StringComparison.Ordinal), 0, seeding);
        Assert.Equal(0, worker.ExitCode);
        Assert.Contains("Hello world", workerLog);
        Assert.Contains("Using the kept data", postgresLog);
        Assert.Contains("Seed: 01-hello.sql was applied before; nothing to do.", postgresLog);
        // Known from the history psql read as the server became ready: the AppHost opened no connection to find it out.
        Assert.Contains("Seed: the history read as the server started records every script as it is; no connection needed.", postgresLog);
        Assert.DoesNotContain("Seed: applied", postgresLog);
        Assert.Equal(["Created database \"reports\"."], Regex.Matches(postgresLog, @"Created database ""[^""]+""\.").Select(m => m.Value));
        Assert.Equal(1, rows);
    }

    /// <summary>
    /// The start reads a seeded database's history first and takes that read as proof that the database exists: a
    /// database that is gone (dropped by hand) must still be created again and seeded, not taken for one with no history.
    /// </summary>
    [Fact]
    public async Task StartOnKeptDataWhoseSeededDatabaseWasDroppedCreatesAndSeedsItAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), ct);
        Assert.Equal(0, (await first.WaitForWorkerToEndAsync(ct)).ExitCode);
        var hello = new NpgsqlConnectionStringBuilder(await first.GetConnectionStringAsync("hello", ct)) { Database = "postgres" };
        await using (var connection = new NpgsqlConnection(hello.ConnectionString))
        {
            await connection.OpenAsync(ct);
            // FORCE: the health check may hold a session on the database at this moment.
            await using var drop = new NpgsqlCommand("DROP DATABASE hello WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync(ct);
        }

        await _apps.StopAsync(first, ct);

        var second = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), ct);
        var worker = await second.WaitForWorkerToEndAsync(ct);
        var postgresLog = await second.LogsOfAsync("postgres", ct);
        var rows = await CountHelloRowsAsync(second, ct);
        await _apps.StopAsync(second, ct);

        Assert.True(worker.ExitCode == 0, $"The worker ended with exit code {worker.ExitCode}. The server's log:{Environment.NewLine}{postgresLog}");
        Assert.Contains("Using the kept data", postgresLog);
        Assert.Contains("Created database \"hello\".", postgresLog);
        Assert.Contains("Seed: applied 01-hello.sql.", postgresLog);
        Assert.Equal(1, rows);
    }

    /// <summary>With initdb itself (no template cluster), as on a machine's very first start.</summary>
    [Fact]
    public async Task LocalServerDataIsPrivateAndEveryClientMustUseScram()
    {
        var ct = TestContext.Current.CancellationToken;
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path, "--Postgres:InitTemplate=false"), ct);
        await app.WaitForWorkerToEndAsync(ct);
        using var timeout = HelloApp.Timeout(HelloApp.StartTimeout, ct);
        var server = await app.ResourceNotifications.WaitForResourceAsync("postgres", e => e.Snapshot.Properties.Any(p => p.Name == "New data this start"), timeout.Token);
        var postgresLog = await app.LogsOfAsync("postgres", ct);
        await _apps.StopAsync(app, ct);

        // What the dashboard shows of the server.
        var properties = server.Snapshot.Properties.ToDictionary(p => p.Name, p => p.Value);
        Assert.Equal(_apps.Data.Path, properties["Data directory"]);
        Assert.Equal(File.ReadAllText(_apps.Data.Combine("pgdata", "PG_VERSION")).Trim(), properties["PostgreSQL version"]);
        Assert.Equal(true, properties["New data this start"]);
        Assert.Contains($"Initialized a new data directory in {_apps.Data.Combine("pgdata")} in ", postgresLog);

        var rules = File.ReadAllLines(_apps.Data.Combine("pgdata", "pg_hba.conf"))
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToList();
        Assert.NotEmpty(rules);
        Assert.All(rules, rule => Assert.EndsWith("scram-sha-256", rule));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_apps.Data.Combine("pgdata")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_apps.Data.Combine("socket")));
        Assert.False(File.Exists(_apps.Data.Combine("initdb.pwfile")), "the password file for initdb must be removed after use");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_apps.Data.Combine("password.verifier")));
        Assert.False(File.Exists(_apps.Data.Combine("initializing")), "a completed first start must clear its marker");
    }

    [Fact]
    public async Task TemporaryDataSaysHelloWithoutFsyncAndIsGoneWhenTheAppHostStops()
    {
        var ct = TestContext.Current.CancellationToken;
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path, "--Postgres:TemporaryData=true"), ct);
        var worker = await app.WaitForWorkerToEndAsync(ct);
        var server = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<LocalPostgresServerResource>().Single();
        var dataDirectory = server.Data.Root;
        _apps.Own(dataDirectory); // deleted with the test's own data if this test fails half-way
        var arguments = await AppModel.ArgumentsAsync(server);
        var existedWhileRunning = Directory.Exists(Path.Combine(dataDirectory, "pgdata"));
        await _apps.StopAsync(app, ct);

        Assert.Equal(0, worker.ExitCode);
        Assert.NotEqual(_apps.Data.Path, dataDirectory); // throwaway data never uses a configured directory
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "helloaspire-"), dataDirectory);
        Assert.Contains("fsync=off", arguments);
        Assert.True(existedWhileRunning);
        Assert.False(Directory.Exists(dataDirectory), "throwaway data must be deleted when the AppHost stops");
    }

    private static async Task<long> CountHelloRowsAsync(DistributedApplication app, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(await app.GetConnectionStringAsync("hello", ct));
        await connection.OpenAsync(ct);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM hello", connection);
        return (long)(await count.ExecuteScalarAsync(ct))!;
    }

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// Day two in local mode: the seed rule on kept data. Each *.sql script runs once, recorded; one added later runs on
/// the next start before the worker reads; an applied script that changed is refused by name; a failing script
/// writes nothing, keeps what ran before it, and fails the start with its line.
/// </summary>
public sealed class SeedScriptsTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly TemporaryDirectory _seed = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AScriptAddedLaterReachesKeptDataBeforeTheWorkerReadsAndAnEditedOrFailingScriptStopsTheStartWithItsLine()
    {
        File.Copy(Path.Combine(RepositorySeed, "01-hello.sql"), _seed.Combine("01-hello.sql"));
        // Each script records its own run: a second run of any of them would add a row.
        await File.WriteAllTextAsync(_seed.Combine("02-runs.sql"), "CREATE TABLE seed_runs (n serial, script text); INSERT INTO seed_runs (script) VALUES ('02-runs.sql');", Ct);
        await File.WriteAllTextAsync(_seed.Combine("notes.txt"), "not a script", Ct);
        string[] args = HelloApp.LocalMode(_apps.Data.Path, $"--Postgres:SeedDirectory={_seed.Path}");

        var first = await _apps.RunUntilWorkerEndsAsync(args, Ct);

        // Day two: a script that changes what the worker reads, added after the data was made; its row comes as a
        // plain-format pg_dump writes rows (COPY … FROM stdin), which only psql reads from a file.
        await File.WriteAllTextAsync(_seed.Combine("03-greeting.sql"), "UPDATE hello SET message = 'Hello again' WHERE id = 1;\nCOPY public.seed_runs (script) FROM stdin;\n03-greeting.sql\n\\.\n", Ct);
        var second = await RunAsync(args, "SELECT string_agg(script, ' ' ORDER BY n) FROM seed_runs");

        // A script that fails on its second line: its first statement must not stay.
        await File.WriteAllTextAsync(_seed.Combine("04-broken.sql"), "CREATE TABLE half_done (id integer);\nSELEC 1;\n", Ct);
        var broken = await RunAsync(args, "SELECT (SELECT count(*) FROM pg_tables WHERE tablename = 'half_done') || ' ' || (SELECT message FROM hello)");

        // The failing script taken away, and an applied one edited.
        File.Delete(_seed.Combine("04-broken.sql"));
        await File.AppendAllTextAsync(_seed.Combine("02-runs.sql"), "\n-- edited after it was applied\n", Ct);
        var edited = await RunAsync(args, "SELECT count(*)::text FROM helloaspire_seed_history");

        Assert.Equal(0, first.Worker.ExitCode);
        Assert.Contains("Seed: applied 01-hello.sql.", first.PostgresLog);
        Assert.Contains("Seed: applied 02-runs.sql.", first.PostgresLog);
        Assert.Contains("Hello world", first.WorkerLog);

        Assert.Equal((KnownResourceStates.Finished, 0), (second.Worker.State?.Text, second.Worker.ExitCode));
        Assert.Contains("Hello again", second.WorkerLog);
        Assert.Contains("Seed: 02-runs.sql was applied before; nothing to do.", second.PostgresLog);
        Assert.Contains("Seed: applied 03-greeting.sql.", second.PostgresLog);
        Assert.Equal("02-runs.sql 03-greeting.sql", second.Query);

        Assert.Equal(KnownResourceStates.FailedToStart, broken.Worker.State?.Text);
        Assert.Equal(KnownResourceStates.FailedToStart, broken.DatabaseState);
        Assert.Contains("Seed script 04-broken.sql failed, and nothing of it was written: syntax error at or near \"SELEC\" (SQLSTATE 42601). Fix: correct the script and start again", broken.PostgresLog);
        Assert.Equal("0 Hello again", broken.Query);

        Assert.Equal(KnownResourceStates.FailedToStart, edited.Worker.State?.Text);
        Assert.Equal(KnownResourceStates.FailedToStart, edited.DatabaseState);
        Assert.Contains("Seed script 02-runs.sql changed after it was applied to this database, and an applied script never runs again. Fix: restore 02-runs.sql as it was", edited.PostgresLog);
        Assert.Equal("3", edited.Query);
    }

    /// <summary>One start until the worker has ended: what it logged, the database's state, and a query on the data.</summary>
    private async Task<(CustomResourceSnapshot Worker, string WorkerLog, string PostgresLog, string? DatabaseState, string? Query)> RunAsync(string[] args, string query)
    {
        var app = await _apps.StartAsync(args, Ct);
        var worker = await app.WaitForWorkerToEndAsync(Ct);
        var workerLog = await app.LogsOfAsync("worker", Ct);
        var postgresLog = await app.LogsOfAsync("postgres", Ct);
        var databaseState = app.ResourceNotifications.TryGetCurrentState("hello", out var hello) ? hello.Snapshot.State?.Text : null;
        var result = await ServerCommands.ScalarAsync<string>((await app.GetConnectionStringAsync("hello", Ct))!, query, Ct);
        await _apps.StopAsync(app, Ct);
        return (worker, workerLog, postgresLog, databaseState, result);
    }

    private static string RepositorySeed => Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "..", "seed"));

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        _seed.Dispose();
    }
}

using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// Local mode's seed, as the official image's /docker-entrypoint-initdb.d: *.sql and *.sh in name order, other files
/// ignored (and said so), each script once: a kept data directory is not seeded again.
/// </summary>
public sealed class SeedScriptsTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly TemporaryDirectory _seed = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ScriptsRunInNameOrderShellScriptsTooOtherFilesAreIgnoredAndNothingRunsTwice()
    {
        File.Copy(Path.Combine(RepositorySeed, "01-hello.sql"), _seed.Combine("01-hello.sql"));
        // Each script records its own run: a second run of any of them would add a row.
        await File.WriteAllTextAsync(_seed.Combine("02-runs.sql"), "CREATE TABLE seed_runs (n serial, script text); INSERT INTO seed_runs (script) VALUES ('02-runs.sql');", Ct);
        await File.WriteAllTextAsync(_seed.Combine("03-shell.sh"), "psql --set=ON_ERROR_STOP=1 --command=\"INSERT INTO seed_runs (script) VALUES ('03-shell.sh')\"\n", Ct);
        await File.WriteAllTextAsync(_seed.Combine("10-last.sql"), "INSERT INTO seed_runs (script) VALUES ('10-last.sql');", Ct);
        await File.WriteAllTextAsync(_seed.Combine("notes.txt"), "not a script", Ct);
        string[] args = HelloApp.LocalMode(_apps.Data.Path, $"--Postgres:SeedDirectory={_seed.Path}");

        var first = await _apps.RunUntilWorkerEndsAsync(args, Ct);
        var app = await _apps.StartAsync(args, Ct);
        var second = await app.WaitForWorkerToEndAsync(Ct);
        var secondLog = await app.LogsOfAsync("postgres", Ct);
        var runs = await ServerCommands.ScalarAsync<string>((await app.GetConnectionStringAsync("hello", Ct))!,
            "SELECT string_agg(script, ' ' ORDER BY n) FROM seed_runs", Ct);

        Assert.Equal(0, first.Worker.ExitCode);
        Assert.Contains("Seed: ignoring notes.txt (only *.sql and *.sh run).", first.PostgresLog);
        Assert.Equal(0, second.ExitCode);
        Assert.DoesNotContain("Seed: running", secondLog);
        Assert.Equal("02-runs.sql 03-shell.sh 10-last.sql", runs);
    }

    private static string RepositorySeed => Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "..", "seed"));

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        _seed.Dispose();
    }
}

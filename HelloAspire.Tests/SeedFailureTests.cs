using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// A seed script that fails on new data (local mode seeds it on its private init server) fails the start, names
/// itself, and the data is not half-reused: fixing the script is enough. (On kept data: <see cref="SeedScriptsTests"/>.)
/// </summary>
public sealed class SeedFailureTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly TemporaryDirectory _seed = new();

    [Fact]
    public async Task AFailingSeedScriptFailsTheStartAndTheFixedScriptSeedsAFreshDirectory()
    {
        var ct = TestContext.Current.CancellationToken;
        var script = _seed.Combine("01-hello.sql");
        await File.WriteAllTextAsync(script, "CREATE TABLE hello (id integer PRIMARY KEY, message text NOT NULL;", ct);
        var args = HelloApp.LocalMode(_apps.Data.Path, $"--Postgres:SeedDirectory={_seed.Path}");

        var broken = await _apps.RunUntilWorkerEndsAsync(args, ct);

        Assert.Equal(KnownResourceStates.FailedToStart, broken.Worker.State?.Text);
        Assert.Contains("Seed script 01-hello.sql failed on new data, and nothing of it was written (psql exit code 3)", broken.PostgresLog);
        Assert.Contains("syntax error", broken.PostgresLog);
        Assert.True(File.Exists(_apps.Data.Combine("initializing")), "the unfinished directory must stay marked");

        await File.WriteAllTextAsync(script, await File.ReadAllTextAsync(Path.Combine(RepositorySeed, "01-hello.sql"), ct), ct);
        var fixedRun = await _apps.RunUntilWorkerEndsAsync(args, ct);

        Assert.Equal(0, fixedRun.Worker.ExitCode);
        Assert.Contains("Hello world", fixedRun.WorkerLog);
        Assert.Contains("did not finish; initializing it again", fixedRun.PostgresLog);
        Assert.False(File.Exists(_apps.Data.Combine("initializing")));
    }

    private static string RepositorySeed =>
        Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "..", "seed"));

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        _seed.Dispose();
    }
}

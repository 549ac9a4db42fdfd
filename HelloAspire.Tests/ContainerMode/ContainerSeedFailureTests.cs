using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>A seed script that fails on the container's database: one line with PostgreSQL's error, the script's line and the fix, not a wait.</summary>
[Collection(ContainerRuns.Name)]
public sealed class ContainerSeedFailureTests : IAsyncDisposable
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(90);

    private readonly ContainerApp _container = new();
    private readonly TemporaryDirectory _seed = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AFailingSeedScriptEndsTheRunWithOneLineNamingTheScriptItsErrorAndTheFix()
    {
        await _container.RequireWithVolumeInRamAsync(Ct);
        await File.WriteAllTextAsync(_seed.Combine("01-broken.sql"), "SELEC 1;", Ct);

        var (exitCode, lines, errors) = await AppHostProcess.RunToEndAsync(_container.Args($"--Postgres:SeedDirectory={_seed.Path}", "--RunOnce=true"), s_runTimeout, Ct);

        var failures = AppHostProcess.Entries(lines).Where(line => line.StartsWith("fail:", StringComparison.Ordinal)).ToList();
        Assert.True(exitCode == 1 && failures is [var failure]
            && failure.Contains("""hello cannot start: Seed script 01-broken.sql failed, and nothing of it was written: syntax error at or near "SELEC" (SQLSTATE 42601). Fix: correct the script and start again""", StringComparison.Ordinal),
            $"Expected exit code 1 and one error line with the script, PostgreSQL's error and the fix; exit code {exitCode}, console:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}{Environment.NewLine}standard error:{Environment.NewLine}{errors}");
    }

    public async ValueTask DisposeAsync()
    {
        await _container.DisposeAsync();
        _seed.Dispose();
    }
}

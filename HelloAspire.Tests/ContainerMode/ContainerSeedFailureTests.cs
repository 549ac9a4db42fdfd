using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>A seed script that fails in the image's first start: one line with psql's error and the fix, not a wait.</summary>
[Collection(ContainerRuns.Name)]
public sealed class ContainerSeedFailureTests : IAsyncDisposable
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(90);

    private readonly ContainerApp _container = new();
    private readonly TemporaryDirectory _seed = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AFailingSeedScriptEndsTheRunWithPsqlsErrorAndTheFix()
    {
        await _container.RequireWithVolumeInRamAsync(Ct);
        await File.WriteAllTextAsync(_seed.Combine("01-broken.sql"), "SELEC 1;", Ct);

        var (exitCode, lines, errors) = await AppHostProcess.RunToEndAsync(_container.Args($"--Postgres:SeedDirectory={_seed.Path}", "--RunOnce=true"), s_runTimeout, Ct);

        var failures = AppHostProcess.Entries(lines).Where(line => line.StartsWith("fail:", StringComparison.Ordinal)).ToList();
        Assert.True(exitCode == 1 && failures is [var failure]
            && failure.Contains("before it was ready", StringComparison.Ordinal)
            && failure.Contains("""01-broken.sql:1: ERROR:  syntax error at or near "SELEC".""", StringComparison.Ordinal)
            && failure.Contains($"volume rm {_container.Volume}", StringComparison.Ordinal),
            $"Expected exit code 1 and one error line with psql's error and the fix; exit code {exitCode}, console:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}{Environment.NewLine}standard error:{Environment.NewLine}{errors}");
    }

    public async ValueTask DisposeAsync()
    {
        await _container.DisposeAsync();
        _seed.Dispose();
    }
}

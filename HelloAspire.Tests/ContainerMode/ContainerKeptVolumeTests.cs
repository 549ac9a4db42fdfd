using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// The life of a kept volume, as a user with Podman or Docker lives it: the README's first command seeds it and both
/// clients say hello; the next run reuses it with the password Aspire generated and kept; a run with another password
/// ends with one line that says so (Aspire alone would wait without end and without a word, microsoft/aspire#5399).
/// It runs the Node.js client, so it is one of <see cref="NodeClientRuns"/>.
/// </summary>
[Collection(NodeClientRuns.Name)]
public sealed class ContainerKeptVolumeTests : IAsyncDisposable
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    private readonly TestApps _apps = new();
    private readonly ContainerApp _container = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AVolumeIsSeededOnceReusedWithItsGeneratedPasswordAndAnotherPasswordEndsTheRunWithOneLine()
    {
        await Containers.RequireAsync(Ct);

        // No password given: Aspire generates one and keeps it in this test's user secrets, as it does for a user.
        var (firstExitCode, firstLines, _) = await AppHostProcess.RunToEndAsync(_container.Args("--NodeClient:Enabled=true", "--RunOnce=true"), s_runTimeout, Ct);
        var second = await _apps.RunUntilWorkerEndsAsync(_container.Args(), Ct);
        var (refusedExitCode, refusedLines, _) = await AppHostProcess.RunToEndAsync(
            _container.Args("--Parameters:postgres-password=another-password-than-the-volumes", "--RunOnce=true"), s_runTimeout, Ct);

        var first = AppHostProcess.Entries(firstLines);
        Assert.True(firstExitCode == 0
            && first.Any(e => e.Contains($"Data: the container volume {_container.Volume}.", StringComparison.Ordinal))
            && first.Any(e => SaysHello(e, "worker")) && first.Any(e => SaysHello(e, "node-client")),
            $"Expected exit code 0 and hello from both clients; exit code {firstExitCode}, console:{Environment.NewLine}{string.Join(Environment.NewLine, firstLines)}");

        Assert.Equal(0, second.Worker.ExitCode);
        Assert.Contains("Hello world", second.WorkerLog);
        Assert.Contains("Skipping initialization", second.PostgresLog);
        Assert.DoesNotContain("docker-entrypoint-initdb.d", second.PostgresLog);

        var failures = AppHostProcess.Entries(refusedLines).Where(line => line.StartsWith("fail:", StringComparison.Ordinal)).ToList();
        Assert.True(refusedExitCode == 1 && failures is [var failure]
            && failure.Contains("28P01", StringComparison.Ordinal)
            && failure.Contains($"the volume '{_container.Volume}'", StringComparison.Ordinal)
            && failure.Contains("Fix: set Parameters:postgres-password back", StringComparison.Ordinal),
            $"Expected exit code 1 and one error line that names the refused password, the volume and the fix; exit code {refusedExitCode}, console:{Environment.NewLine}{string.Join(Environment.NewLine, refusedLines)}");
    }

    private static bool SaysHello(string entry, string client) =>
        entry.StartsWith($"info: {client}[", StringComparison.Ordinal) && entry.Contains("Hello world", StringComparison.Ordinal);

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        await _container.DisposeAsync();
    }
}

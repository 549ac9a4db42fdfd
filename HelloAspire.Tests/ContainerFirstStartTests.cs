using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The README's first command in container mode, as a user with Podman or Docker runs it: both clients say hello from a new, seeded volume.</summary>
[Collection(NodeClientRuns.Name)]
public sealed class ContainerFirstStartTests : IAsyncDisposable
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    private readonly ContainerApp _container = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AFirstStartSeedsANewVolumeAndBothClientsSayHello()
    {
        await Containers.RequireAsync(Ct);

        var (exitCode, lines) = await AppHostProcess.RunToEndAsync(_container.Args("--NodeClient:Enabled=true", "--RunOnce=true"), s_runTimeout, Ct);

        var console = string.Join(Environment.NewLine, lines);
        Assert.True(exitCode == 0, $"The AppHost exited with {exitCode}:{Environment.NewLine}{console}");
        Assert.Contains($"PostgreSQL: Container mode, because Postgres:Mode is container. Data: the container volume {_container.Volume}.", console);
        var entries = AppHostProcess.Entries(lines);
        Assert.True(entries.Any(line => SaysHello(line, "worker")) && entries.Any(line => SaysHello(line, "node-client")),
            $"Expected hello from both clients on the console:{Environment.NewLine}{console}");
        Assert.True(await Containers.VolumeExistsAsync(_container.Volume, Ct), $"The volume {_container.Volume} is not kept.");
    }

    private static bool SaysHello(string line, string client) =>
        line.StartsWith($"info: {client}[", StringComparison.Ordinal) && line.Contains("Hello world", StringComparison.Ordinal);

    public async ValueTask DisposeAsync() => await _container.DisposeAsync();
}

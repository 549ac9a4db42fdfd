using System.Text.Json;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// Both clients' queries are in the dashboard's traces, read as a user reads them without a browser:
/// <c>aspire otel spans &lt;resource&gt;</c>, through the CLI the repository pins.
/// </summary>
[Collection(NodeClientRuns.Name)]
public sealed class ClientTracesTests : IAsyncDisposable
{
    // The spans are batched, and the Node.js client's are sent as it exits: they reach the dashboard a moment after.
    private static readonly TimeSpan s_spansTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan s_spansPollInterval = TimeSpan.FromSeconds(1);
    // How long each client may take to end, as the CLI's wait takes it (seconds).
    private const string ClientEndTimeoutSeconds = "90";

    private readonly TestApps _apps = new();
    private readonly TemporaryDirectory _home = new();
    private readonly AspireCli _cli;
    private bool _started;

    public ClientTracesTests() => _cli = new AspireCli(_home.Path);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheDashboardHoldsTheWorkersAndTheNodeClientsSpansOfTheHelloQuery()
    {
        await NodeClientRuns.EnsureInstalledAsync(Ct);
        // The password through the AppHost's environment, as user secrets would give it: on a command line, every
        // local process (another test among them) could read it.
        var start = await _cli.RunAsync(["start", "--no-build", "--isolated", "--", $"--Postgres:DataDirectory={_apps.Data.Path}", "--NodeClient:Enabled=true"],
            Ct, new Dictionary<string, string> { ["Parameters__postgres-password"] = HelloApp.TestPassword });
        // Stopped at the end even if the start reported a failure: it may have left an AppHost behind.
        _started = true;
        Assert.True(start.ExitCode == 0, start.Output);
        var nodeClientEnded = await RunAsync("wait", "node-client", "--status", "down", "--timeout", ClientEndTimeoutSeconds);
        var workerEnded = await RunAsync("wait", "worker", "--status", "down", "--timeout", ClientEndTimeoutSeconds);
        Assert.True(nodeClientEnded.ExitCode == 0 && workerEnded.ExitCode == 0, nodeClientEnded.Output + workerEnded.Output);

        var nodeClientSpans = await SpansAsync("node-client", span => span.Name == "pg.query:SELECT hello");
        var workerSpans = await SpansAsync("worker", span => span.Name == "read hello row");

        var query = Assert.Single(nodeClientSpans, span => span.Name == "pg.query:SELECT hello");
        Assert.Equal("hello", query.Attributes.GetValueOrDefault("db.namespace"));
        Assert.Equal("SELECT message FROM hello ORDER BY id LIMIT 1", query.Attributes.GetValueOrDefault("db.query.text"));
        Assert.Contains(nodeClientSpans, span => span.Name == "pg.connect");
        Assert.Contains(workerSpans, span => span.Name == "read hello row");
        Assert.DoesNotContain(HelloApp.TestPassword, string.Join('\n', nodeClientSpans.Concat(workerSpans)));
    }

    /// <summary>The resource's spans once one matches <paramref name="awaited"/>, asked again until <see cref="s_spansTimeout"/>.</summary>
    private async Task<IReadOnlyList<Span>> SpansAsync(string resource, Func<Span, bool> awaited)
    {
        var deadline = DateTime.UtcNow + s_spansTimeout;
        while (true)
        {
            var (exitCode, output) = await RunAsync("otel", "spans", resource, "--format", "json");
            Assert.True(exitCode == 0, $"aspire otel spans {resource} failed: {output}");
            var spans = Span.ParseAll(output);
            Assert.All(spans, span => Assert.Equal(resource, span.Source));
            if (spans.Any(awaited) || DateTime.UtcNow > deadline)
            {
                Assert.True(spans.Any(awaited), $"{resource}'s spans in the dashboard after {s_spansTimeout.TotalSeconds} s lack the awaited one: {output}");
                return spans;
            }

            await Task.Delay(s_spansPollInterval, Ct);
        }
    }

    private Task<(int ExitCode, string Output)> RunAsync(params string[] arguments) => _cli.RunAsync(arguments, Ct);

    /// <summary>A span as <c>aspire otel spans --format json</c> gives it: its resource (source), name and attributes.</summary>
    private sealed record Span(string Source, string Name, IReadOnlyDictionary<string, string> Attributes, string Json)
    {
        public static IReadOnlyList<Span> ParseAll(string output)
        {
            // The JSON array is one line of the output; the CLI's own lines (on standard error) come around it, and
            // no array is no span yet.
            var array = output.Split('\n').FirstOrDefault(line => line.StartsWith('['));
            if (array is null)
            {
                return [];
            }

            using var spans = JsonDocument.Parse(array);
            return [.. spans.RootElement.EnumerateArray().Select(span => new Span(
                span.GetProperty("source").GetString()!,
                span.GetProperty("name").GetString()!,
                span.TryGetProperty("attributes", out var attributes)
                    ? attributes.EnumerateObject().ToDictionary(a => a.Name, a => a.Value.ToString())
                    : new Dictionary<string, string>(),
                span.GetRawText()))];
        }

        public override string ToString() => Json;
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await _cli.RunAsync(["stop"], CancellationToken.None);
        }

        await FailureReport.WriteIfFailedAsync();
        await _apps.DisposeAsync();
        _home.Dispose();
    }
}

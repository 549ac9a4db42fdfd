using System.Text.RegularExpressions;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// The AppHost's console shows the app, as the README's sample does: the mode line, the dashboard's login line, each
/// client's output and how it ended. Aspire's start-up lines and the waits it writes into the clients' logs stay in
/// the dashboard, unless <c>--Console:ShowAspireLines=true</c> asks for them.
/// </summary>
[Collection(NodeClientRuns.Name)]
public sealed class ConsoleTests : IAsyncDisposable
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    // The lines of a plain run (no --RunOnce), in the order the first three come; each client's two lines come after
    // them, its output before its end, the two clients in whichever order they ran.
    private static readonly string[] s_startLines =
    [
        @"^info: HelloAspire\.AppHost\.Database\[901\] PostgreSQL: Local mode, ",
        @"^info: Aspire\.Hosting\.DistributedApplication\[0\] Login to the dashboard at http://127\.0\.0\.1:\d+/login\?t=[0-9a-f]+$",
        @"^info: Aspire\.Hosting\.DistributedApplication\[0\] Distributed application started\. Press Ctrl\+C to shut down\.$",
    ];

    private static readonly string[][] s_clientLines =
    [
        [@"^info: worker\[701\] info: HelloAspire\.Worker\.HelloWorker\[101\] Hello world$", @"^info: worker\[702\] worker ended: Finished, exit code 0\.$"],
        [@"^info: node-client\[701\] Hello world$", @"^info: node-client\[702\] node-client ended: Finished, exit code 0\.$"],
    ];

    private readonly TemporaryDirectory _data = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APlainRunPrintsTheModeTheLoginLineAndEachClientsOutputAndEndAndNoneOfAspiresBookkeeping()
    {
        var lines = await RunUntilBothClientsEndedAsync();

        var expected = s_startLines.Length + s_clientLines.Sum(client => client.Length);
        var console = $"The console was:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}";
        Assert.True(lines.Count == expected, $"Expected {expected} lines. {console}");
        for (var i = 0; i < s_startLines.Length; i++)
        {
            Assert.True(Regex.IsMatch(lines[i], s_startLines[i]), $"Line {i + 1} should match {s_startLines[i]}. {console}");
        }

        foreach (var client in s_clientLines)
        {
            var at = client.Select(pattern => IndexOf(lines, pattern)).ToArray();
            Assert.True(at.All(index => index >= s_startLines.Length) && at.SequenceEqual(at.Order()), $"Expected, in this order after the start lines: {string.Join(", ", client)}. {console}");
        }
    }

    [Fact]
    public async Task AspiresLinesComeBackOnTheConsoleWhenAskedFor()
    {
        var lines = await RunUntilBothClientsEndedAsync("--Console:ShowAspireLines=true");

        var console = string.Join(Environment.NewLine, lines);
        Assert.Contains(lines, line => line.Contains("Distributed application starting.", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("worker[701] Waiting for resource 'postgres'", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("node-client[701] [sys] Starting process", StringComparison.Ordinal));
        Assert.True(IndexOf(lines, s_clientLines[1][0]) >= 0, console);
    }

    /// <summary>The README's sample is such a run: <c>dotnet run</c>'s own two lines, then the lines pinned above.</summary>
    [Fact]
    public async Task TheReadmesSampleShowsTheLinesAPlainRunPrints()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "..", "README.md"), Ct);
        var section = readme[readme.IndexOf("## What you see", StringComparison.Ordinal)..];
        var sample = section[(section.IndexOf("```text\n", StringComparison.Ordinal) + "```text\n".Length)..section.IndexOf("\n```\n", StringComparison.Ordinal)]
            .Split('\n').Where(line => !line.StartsWith("Using launch settings from ", StringComparison.Ordinal) && line != "Building...").ToList();

        var patterns = s_startLines.Concat(s_clientLines.SelectMany(client => client)).ToList();
        Assert.True(sample.Count == patterns.Count, $"The README's sample has {sample.Count} lines of the AppHost's, a plain run prints {patterns.Count}:{Environment.NewLine}{string.Join(Environment.NewLine, sample)}");
        Assert.All(patterns, pattern => Assert.Contains(sample, line => Regex.IsMatch(line, pattern)));
    }

    /// <summary>Starts the AppHost in local mode with both clients, and stops it (SIGTERM) once both have ended: its console's lines.</summary>
    private async Task<IReadOnlyList<string>> RunUntilBothClientsEndedAsync(params string[] more)
    {
        await NodeClientRuns.EnsureInstalledAsync(Ct);
        using var timeout = HelloApp.Timeout(s_runTimeout, Ct);
        using var appHost = AppHostProcess.Start(HelloApp.LocalMode(_data.Path, ["--NodeClient:Enabled=true", .. more]));
        var console = new AppHostConsole(appHost);
        try
        {
            await console.WaitForLineAsync(line => line.Contains(" ended: ", StringComparison.Ordinal), count: 2, timeout.Token);
        }
        finally
        {
            await AppHostProcess.StopAsync(appHost, console, s_runTimeout);
        }

        await console.Reading.WaitAsync(timeout.Token);
        return console.Lines;
    }

    private static int IndexOf(IReadOnlyList<string> lines, string pattern) =>
        lines.Select((line, index) => (line, index)).FirstOrDefault(x => Regex.IsMatch(x.line, pattern), (line: "", index: -1)).index;

    public async ValueTask DisposeAsync()
    {
        await FailureReport.WriteIfFailedAsync();
        _data.Dispose();
    }
}

using System.Text.RegularExpressions;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The Aspire 13 dev loop: the CLI pinned with the repository drives the real AppHost, as a user scripts it.</summary>
public sealed partial class AspireCliTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly TemporaryDirectory _home = new();
    private readonly AspireCli _cli;
    private bool _started;

    public AspireCliTests() => _cli = new AspireCli(_home.Path);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheAspireCliStartsWaitsDescribesShowsLogsRestartsAndStopsTheApp()
    {
        // --isolated: random ports and its own user secrets (a generated password for this new data), so it runs beside anything else.
        var start = await RunAsync("start", "--no-build", "--isolated", "--",
            $"--Postgres:DataDirectory={_apps.Data.Path}", "--NodeClient:Enabled=false");
        _started = start.ExitCode == 0;
        var wait = await RunAsync("wait", "worker", "--status", "down", "--timeout", "90");
        var describe = await RunAsync("describe");
        var logs = await RunAsync("logs", "worker");
        var restart = await RunAsync("resource", "postgres", "restart");
        var healthy = await RunAsync("wait", "postgres", "--status", "healthy", "--timeout", "60");
        var serverPid = HelloApp.PostmasterPid(_apps.Data.Path);
        var stop = await RunAsync("stop");
        _started = stop.ExitCode != 0;

        Assert.True(start.ExitCode == 0, start.Output);
        var appHostPid = int.Parse(AppHostPid().Match(start.Output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(wait.ExitCode == 0, wait.Output);
        Assert.Matches(@"worker\b.*\bFinished\b", describe.Output);
        Assert.Matches(@"postgres\b.*\bRunning\b.*\bHealthy\b", describe.Output);
        Assert.Contains("Hello world", logs.Output);
        Assert.True(restart.ExitCode == 0, restart.Output);
        Assert.True(healthy.ExitCode == 0, healthy.Output);
        Assert.True(stop.ExitCode == 0, stop.Output);
        // Nothing left running: the AppHost and its server are gone.
        Assert.False(Directory.Exists($"/proc/{appHostPid}"), $"the AppHost (process {appHostPid}) still runs");
        Assert.NotNull(serverPid);
        Assert.False(Directory.Exists($"/proc/{serverPid}"), $"its server (process {serverPid}) still runs");
    }

    /// <summary>
    /// The app is deployed with azd: Aspire's own publish writes the manifest azd reads, and Aspire's own deploy, which
    /// has no compute environment to deploy to, fails with the line that says what to run, instead of reporting
    /// success for nothing.
    /// </summary>
    [Fact]
    public async Task AspirePublishWritesTheManifestAzdReadsAndAspireDeploySaysToRunAzdUp()
    {
        var output = _home.Combine("published");

        var publish = await RunAsync("publish", "--no-build", "--output-path", output);
        var deploy = await RunAsync("deploy", "--no-build");

        Assert.True(publish.ExitCode == 0, publish.Output);
        using var manifest = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "aspire-manifest.json"), Ct));
        Assert.Equal("container.v1", manifest.RootElement.GetProperty("resources").GetProperty("postgres").GetProperty("type").GetString());
        Assert.NotEqual(0, deploy.ExitCode);
        Assert.Contains("This app is deployed with azd, not aspire deploy: run 'azd up' from the repository's root", deploy.Output);
    }

    private Task<(int ExitCode, string Output)> RunAsync(params string[] arguments) => _cli.RunAsync(arguments, Ct);

    [GeneratedRegex(@"PID:\s+(\d+)")]
    private static partial Regex AppHostPid();

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            // The test failed half-way: stop what the CLI started before its data is deleted.
            await _cli.RunAsync(["stop"], CancellationToken.None);
        }

        await _apps.DisposeAsync();
        _home.Dispose();
    }
}

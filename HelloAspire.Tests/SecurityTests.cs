using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The password stays out of command lines and logs; the server is reachable on loopback only.</summary>
public sealed class SecurityTests : IAsyncDisposable
{
    private const string Password = "Sentinel-Password-That-Must-Not-Leak-42";
    private static readonly string[] s_socketTables = ["/proc/net/tcp", "/proc/net/tcp6"];
    private readonly TestApps _apps = new();

    [Fact]
    public async Task ThePasswordIsOnNoCommandLineAndInNoLogAndTheServerListensOnLoopbackOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        var app = await _apps.StartAsync(HelloApp.LocalModeWithPassword(_apps.Data.Path, Password), ct);
        await app.WaitForWorkerToEndAsync(ct);

        var commandLines = ProcessCommandLines.Read();
        var logs = await app.LogsOfAsync("postgres", ct) + await app.LogsOfAsync("worker", ct);
        var port = int.Parse(File.ReadLines(_apps.Data.Combine("pgdata", "postmaster.pid")).ElementAt(3), System.Globalization.CultureInfo.InvariantCulture);
        var listeners = ListeningAddresses(port);
        await _apps.StopAsync(app, ct);

        Assert.Contains(commandLines, line => line.Contains("postgres", StringComparison.Ordinal) && line.Contains(_apps.Data.Path, StringComparison.Ordinal));
        Assert.DoesNotContain(commandLines, line => line.Contains(Password, StringComparison.Ordinal));
        Assert.DoesNotContain(Password, logs);
        Assert.Equal(["127.0.0.1"], listeners);
    }

    /// <summary>
    /// Logging turned up to Trace, as one does to chase a problem: Aspire's resource notifications would print every
    /// connection string, password included; the AppHost's settings keep that category at Debug wherever it starts.
    /// </summary>
    [Fact]
    public async Task TraceLoggingShowsNoPassword()
    {
        using var data = new TemporaryDirectory();
        var run = await AppHostProcess.RunToEndAsync(
            HelloApp.LocalModeWithPassword(data.Path, Password, "--RunOnce=true", "--Logging:LogLevel:Default=Trace"), HelloApp.StartTimeout, TestContext.Current.CancellationToken);

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}: {run.Errors}");
        Assert.Contains(run.Lines, line => line.StartsWith("trce:", StringComparison.Ordinal)); // Trace really was on
        Assert.DoesNotContain(run.Lines, line => line.Contains(Password, StringComparison.Ordinal));
        Assert.DoesNotContain(Password, run.Errors);
    }

    /// <summary>The local addresses of sockets listening on the port, from /proc/net/tcp and tcp6 (no traffic sent).</summary>
    private static List<string> ListeningAddresses(int port)
    {
        const string listen = "0A";
        var hexPort = port.ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
        return [.. s_socketTables
            .SelectMany(File.ReadLines)
            .Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 3 && fields[3] == listen && fields[1].EndsWith($":{hexPort}", StringComparison.Ordinal))
            .Select(fields => Address(fields[1].Split(':')[0]))];
    }

    private static string Address(string hex) =>
        hex.Length == 8
            ? string.Join('.', Enumerable.Range(0, 4).Select(i => Convert.ToByte(hex.Substring(6 - (2 * i), 2), 16)))
            : $"ipv6:{hex}";

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using HelloAspire.AppHost.Database;

namespace HelloAspire.Tests.Support;

/// <summary>
/// The built AppHost as its own process (not through Aspire.Hosting.Testing), with the dashboard on dynamic ports
/// over plain HTTP (no launch profile, no fixed port, no development certificate needed).
/// </summary>
public static partial class AppHostProcess
{
    private const string ParameterPrefix = "--Parameters:";

    private static readonly System.Collections.Concurrent.ConcurrentBag<Process> s_started = [];

    /// <summary>
    /// At the suite's end: an AppHost a test left running (one whose wait failed before its stop) is killed with
    /// everything under it, and DCP then stops its servers: nothing of one test outlives the suite.
    /// </summary>
    public static void KillLeftovers()
    {
        foreach (var appHost in s_started)
        {
            try
            {
                if (!appHost.HasExited)
                {
                    appHost.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Disposed by its test: it was waited for there.
            }
        }
    }

    /// <summary>
    /// Aspire's check for a newer Aspire: with a dashboard, it runs <c>dotnet package search</c> against NuGet once a day
    /// per user-secrets store, and so at every start of a test's own store (0.3 CPU-s, and a test that reaches out).
    /// </summary>
    public const string VersionCheckDisabled = "ASPIRE_VERSION_CHECK_DISABLED";

    /// <summary>Starts the AppHost; with <paramref name="trace"/>, under it (the process is then the tracer, whose exit waits for every process the run started).</summary>
    /// <param name="args">The AppHost's arguments.</param>
    /// <param name="environment">Variables added to the AppHost's environment.</param>
    /// <param name="trace">Runs the AppHost under this trace.</param>
    /// <param name="appHostAssembly">Another build of the AppHost (its Debug build) instead of the one the tests reference.</param>
    public static Process Start(string[] args, IReadOnlyDictionary<string, string>? environment = null, ExecTrace? trace = null, string? appHostAssembly = null)
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        startInfo.ArgumentList.Add(appHostAssembly ?? typeof(HelloDatabaseBuilderExtensions).Assembly.Location);
        // Never the developer's user secrets: what the AppHost keeps there (a generated password, the port of a kept
        // server) would land beside what the developer's own data needs.
        args = UserSecretsStore.Own(args, out var ownSecrets);
        foreach (var argument in args)
        {
            // A parameter (a password) goes through the environment, as user secrets would give it: never on a command line.
            if (argument.StartsWith(ParameterPrefix, StringComparison.Ordinal) && argument.Split('=', 2) is [var key, var value])
            {
                startInfo.Environment[$"Parameters__{key[ParameterPrefix.Length..]}"] = value;
            }
            else
            {
                startInfo.ArgumentList.Add(argument);
            }
        }

        startInfo.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        startInfo.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = "http://127.0.0.1:0";
        startInfo.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        startInfo.Environment[VersionCheckDisabled] = "true";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var appHost = new Process { StartInfo = trace?.Wrap(startInfo) ?? startInfo, EnableRaisingEvents = true };
        if (ownSecrets is not null)
        {
            appHost.Exited += (_, _) => ownSecrets.Dispose();
        }

        appHost.Start();
        s_started.Add(appHost);
        return appHost;
    }

    /// <summary>Runs the AppHost until it exits by itself (<c>--RunOnce=true</c>, a start that fails), bounded by <paramref name="timeout"/>: its exit code and console.</summary>
    public static async Task<AppHostRun> RunToEndAsync(string[] args, TimeSpan timeout, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null, ExecTrace? trace = null, string? appHostAssembly = null)
    {
        using var bounded = HelloApp.Timeout(timeout, cancellationToken);
        using var appHost = Start(args, environment, trace, appHostAssembly);
        var console = new AppHostConsole(appHost);
        int exitCode;
        try
        {
            exitCode = trace is null ? await WaitForExitCodeAsync(appHost, bounded.Token) : await trace.WaitForTracedProgramAsync(appHost, bounded.Token);
        }
        finally
        {
            await StopAsync(appHost, console, timeout);
        }

        await console.Reading.WaitAsync(bounded.Token);
        return new(exitCode, console.Lines, await console.Errors.WaitAsync(bounded.Token));
    }

    private static async Task<int> WaitForExitCodeAsync(Process appHost, CancellationToken cancellationToken)
    {
        await appHost.WaitForExitAsync(cancellationToken);
        return appHost.ExitCode;
    }

    /// <summary>The console's log entries, one string each: a header (<c>fail: Category[id]</c>) and its message lines.</summary>
    public static IReadOnlyList<string> Entries(IReadOnlyList<string> lines)
    {
        var entries = new List<string>();
        foreach (var line in lines)
        {
            if (line.StartsWith(' ') && entries.Count > 0)
            {
                entries[^1] += " " + line.Trim();
            }
            else
            {
                entries.Add(line);
            }
        }

        return entries;
    }

    /// <summary>The dashboard's login URL (with its token), as the AppHost printed it.</summary>
    public static Uri? LoginUrl(IEnumerable<string> console) =>
        console.Select(line => LoginUrlPattern().Match(line)).FirstOrDefault(match => match.Success) is { } found ? new Uri(found.Value) : null;

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/login\?t=[0-9a-f]+")]
    private static partial Regex LoginUrlPattern();

    /// <summary>
    /// SIGTERM, as <c>kill</c> or a service manager sends: the AppHost stops its resources and its server, then exits
    /// (Ctrl+C's SIGINT takes the same path, but a process that inherited SIGINT as ignored, such as anything under a
    /// background job of a non-interactive shell, never sees it). Killed if it does not stop in time, and then the
    /// error shows the end of its console.
    /// </summary>
    public static async Task StopAsync(Process appHost, AppHostConsole console, TimeSpan timeout)
    {
        if (appHost.HasExited)
        {
            return;
        }

        using (var terminate = Process.Start("kill", ["-TERM", appHost.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await terminate.WaitForExitAsync(CancellationToken.None);
        }

        using var bounded = new CancellationTokenSource(timeout);
        try
        {
            await appHost.WaitForExitAsync(bounded.Token);
        }
        catch (OperationCanceledException)
        {
            appHost.Kill(entireProcessTree: true);
            throw new TimeoutException(
                $"The AppHost did not stop within {timeout.TotalSeconds:0} s of SIGTERM; it was killed. Its console ended with:{Environment.NewLine}{console.Tail(40)}");
        }
    }
}

/// <summary>How an AppHost process ended: its exit code, its standard output's lines and its standard error.</summary>
public sealed record AppHostRun(int ExitCode, IReadOnlyList<string> Lines, string Errors);

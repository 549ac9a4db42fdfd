using System.Diagnostics;
using HelloAspire.AppHost.Database;

namespace HelloAspire.Tests.Support;

/// <summary>
/// The built AppHost as its own process (not through Aspire.Hosting.Testing), with the dashboard on dynamic ports
/// over plain HTTP (no launch profile, no fixed port, no development certificate needed).
/// </summary>
public static class AppHostProcess
{
    public static Process Start(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { typeof(HelloDatabaseBuilderExtensions).Assembly.Location }.Concat(args))
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        startInfo.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = "http://127.0.0.1:0";
        startInfo.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        return Process.Start(startInfo)!;
    }

    /// <summary>Ctrl+C (SIGINT): the AppHost stops its resources and its server, then exits; killed if it does not in time.</summary>
    public static async Task StopAsync(Process appHost, TimeSpan timeout)
    {
        if (appHost.HasExited)
        {
            return;
        }

        using (var interrupt = Process.Start("kill", ["-INT", appHost.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync(CancellationToken.None);
        }

        using var bounded = new CancellationTokenSource(timeout);
        try
        {
            await appHost.WaitForExitAsync(bounded.Token);
        }
        catch (OperationCanceledException)
        {
            appHost.Kill(entireProcessTree: true);
            throw new TimeoutException($"The AppHost did not stop within {timeout.TotalSeconds:0} s of Ctrl+C; it was killed.");
        }
    }
}

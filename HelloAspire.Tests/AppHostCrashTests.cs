using System.Diagnostics;
using HelloAspire.AppHost.Database;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The AppHost itself is killed: its server does not outlive it, and the next run starts cleanly on the same data.</summary>
public sealed class AppHostCrashTests : IDisposable
{
    private static readonly TimeSpan s_orphanTimeout = TimeSpan.FromSeconds(30);

    private readonly TemporaryDirectory _data = new();

    [Fact]
    public async Task AKilledAppHostLeavesNoServerBehindAndTheNextRunStartsCleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(HelloApp.StartTimeout);

        // The real AppHost process, with dynamic dashboard ports (no launch profile, no fixed port).
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { typeof(HelloDatabaseBuilderExtensions).Assembly.Location }.Concat(HelloApp.LocalMode(_data.Path)))
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        startInfo.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = "http://127.0.0.1:0";
        startInfo.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        using var appHost = Process.Start(startInfo)!;
        _ = appHost.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            while (await appHost.StandardOutput.ReadLineAsync(timeout.Token) is { } line && !line.Contains("worker ended", StringComparison.Ordinal))
            {
            }
        }
        finally
        {
            appHost.Kill(); // SIGKILL: no shutdown code of the AppHost runs
        }

        using (var server = Process.GetProcessById(HelloApp.PostmasterPid(_data.Path)!.Value))
        {
            using var orphan = CancellationTokenSource.CreateLinkedTokenSource(ct);
            orphan.CancelAfter(s_orphanTimeout);
            await server.WaitForExitAsync(orphan.Token); // DCP stops the server once its AppHost is gone
        }

        var next = await HelloApp.RunUntilWorkerEndsAsync(HelloApp.LocalMode(_data.Path), _data.Path, ct);

        Assert.Equal(0, next.Worker.ExitCode);
        Assert.Contains("Using the kept data", next.PostgresLog);
    }

    public void Dispose() => _data.Dispose();
}

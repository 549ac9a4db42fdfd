using System.Diagnostics;
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
        using var timeout = HelloApp.Timeout(HelloApp.StartTimeout, ct);

        using var appHost = AppHostProcess.Start(HelloApp.LocalMode(_data.Path));
        var console = new AppHostConsole(appHost);
        try
        {
            await console.WaitForWorkerToEndAsync(timeout.Token);
        }
        finally
        {
            appHost.Kill(); // SIGKILL: no shutdown code of the AppHost runs
        }

        using (var server = Process.GetProcessById(HelloApp.PostmasterPid(_data.Path)!.Value))
        {
            using var orphan = HelloApp.Timeout(s_orphanTimeout, ct);
            await server.WaitForExitAsync(orphan.Token); // DCP stops the server once its AppHost is gone
        }

        var next = await HelloApp.RunUntilWorkerEndsAsync(HelloApp.LocalMode(_data.Path), _data.Path, ct);

        Assert.Equal(0, next.Worker.ExitCode);
        Assert.Contains("Using the kept data", next.PostgresLog);
    }

    public void Dispose() => _data.Dispose();
}

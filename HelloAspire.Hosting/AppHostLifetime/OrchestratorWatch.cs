using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>
/// Aspire's orchestrator (DCP) runs beside the AppHost and watches it; nothing watches DCP. When DCP ends while the
/// AppHost runs (killed, crashed), Aspire logs failed HTTP calls to it and waits, holding whatever the app holds, and a
/// stop then waits on calls to the missing orchestrator. This watch says so in one line, stops the app (so that its
/// hosted services end their own servers and let go of their data) and ends the AppHost with a non-zero exit code
/// within a bound, instead of a hang.
/// </summary>
public static partial class OrchestratorWatch
{
    /// <summary>
    /// The AppHost's exit code when its orchestrator ended under it: sysexits' EX_UNAVAILABLE, outside the small codes
    /// a run-once AppHost passes on from its clients.
    /// </summary>
    public const int ExitCode = 69;

    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan s_stopBound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_findBound = TimeSpan.FromSeconds(60);

    /// <summary>Watches DCP while the app runs; <paramref name="fix"/> says what the user can do then, in the app's words.</summary>
    public static IDistributedApplicationBuilder StopWhenOrchestratorEnds(this IDistributedApplicationBuilder builder, string fix)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(fix);
        if (!WatchesThisProcess(builder))
        {
            return builder;
        }

        builder.Eventing.Subscribe<BeforeStartEvent>((e, cancellationToken) =>
        {
            var lifetime = e.Services.GetRequiredService<IHostApplicationLifetime>();
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Orchestrator");
            _ = Task.Run(() => WatchAsync(lifetime, logger, fix), lifetime.ApplicationStopping);
            return Task.CompletedTask;
        });
        return builder;
    }

    /// <summary>
    /// Whether the watch runs: in run mode, on Linux (it reads /proc), in an AppHost run as its own process. DCP is
    /// found by the process it monitors, so an AppHost started by Aspire.Hosting.Testing, whose test host may run
    /// several apps, each with an orchestrator that monitors that same process, is not watched.
    /// </summary>
    internal static bool WatchesThisProcess(IDistributedApplicationBuilder builder) =>
        builder.ExecutionContext.IsRunMode && OperatingSystem.IsLinux() && System.Reflection.Assembly.GetEntryAssembly() == builder.AppHostAssembly;

    private static async Task WatchAsync(IHostApplicationLifetime lifetime, ILogger logger, string fix)
    {
        var stopping = lifetime.ApplicationStopping;
        try
        {
            // Aspire starts it as the host starts, after this event.
            var deadline = DateTimeOffset.UtcNow + s_findBound;
            int? found;
            while ((found = FindOrchestrator()) is null && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(s_pollInterval, stopping);
            }

            if (found is not { } dcp)
            {
                LogNotFound(logger);
                return;
            }

            // DCP's first process starts a detached copy of itself and exits (the copy outlives a killed AppHost), so
            // the watch moves to whichever process is the orchestrator now; it has ended when none is, twice over.
            var missed = 0;
            while (missed < 2)
            {
                await Task.Delay(s_pollInterval, stopping);
                if (IsOrchestrator(dcp))
                {
                    missed = 0;
                }
                else if (FindOrchestrator() is { } next)
                {
                    (dcp, missed) = (next, 0);
                }
                else
                {
                    missed++;
                }
            }

            if (stopping.IsCancellationRequested)
            {
                return; // it ended with the AppHost's own stop
            }

            LogOrchestratorEnded(logger, dcp, fix);
            Environment.ExitCode = ExitCode;
            lifetime.StopApplication();
            // The stop's own calls to the missing orchestrator would wait on it: the AppHost ends once its services had
            // their time to end what they hold.
            await Task.Delay(s_stopBound, CancellationToken.None);
            Environment.Exit(ExitCode);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
        catch (Exception ex)
        {
            // Nothing awaits this task: a failure of the watch is said, not lost.
            LogWatchFailed(logger, ex);
        }
    }

    /// <summary>DCP's API server for this AppHost.</summary>
    private static int? FindOrchestrator() =>
        OrchestratorProcesses.Of(Environment.ProcessId, apiServerOnly: true).Select(pid => (int?)pid).FirstOrDefault();

    private static bool IsOrchestrator(int pid) => OrchestratorProcesses.Serves(pid, Environment.ProcessId, apiServerOnly: true);

    [LoggerMessage(EventId = 802, Level = LogLevel.Error,
        Message = "Aspire's orchestrator (DCP, process {Pid}) ended while the AppHost ran, so nothing can start, stop or watch the resources any more: the AppHost stops its servers and exits; the data is safe. {Fix}")]
    private static partial void LogOrchestratorEnded(ILogger logger, int pid, string fix);

    [LoggerMessage(EventId = 803, Level = LogLevel.Debug, Message = "Aspire's orchestrator (DCP) was not found among the processes, so its end is not watched.")]
    private static partial void LogNotFound(ILogger logger);

    [LoggerMessage(EventId = 804, Level = LogLevel.Warning, Message = "The watch on Aspire's orchestrator (DCP) failed, so its end is not watched.")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception);
}

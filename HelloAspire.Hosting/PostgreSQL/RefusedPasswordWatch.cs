using HelloAspire.Hosting.RunOnce;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.Hosting.PostgreSQL;

/// <summary>
/// Kept data that refuses the configured password, the same story in every mode: the server runs, its health check
/// gets PostgreSQL's 28P01, and Aspire would wait on it without end (aspire#5399). The watch says so in one line with
/// the three fixes, stops the server, and shows it and its databases as failed to start. Their clients keep waiting:
/// Aspire ends a wait for health only when the dependency becomes healthy, so they go on by themselves once Use new
/// password or Reset data has made it so. A run that should end with its clients ends now, with exit code 1.
/// </summary>
internal sealed partial class RefusedPasswordWatch(
    RefusedPasswordWatch.Target target,
    ResourceNotificationService notifications,
    ResourceLoggerService resourceLogs,
    ResourceCommandService commands,
    DistributedApplicationModel model,
    IHostApplicationLifetime lifetime,
    ILogger<RefusedPasswordWatch> logger)
{
    /// <summary>What is watched, and what the line names.</summary>
    /// <param name="Server">The server resource.</param>
    /// <param name="Data">Its data, in the user's words: "the volume '…'", or the data directory in quotes.</param>
    /// <param name="PasswordParameter">The password parameter the data refuses.</param>
    public sealed record Target(IResource Server, string Data, ParameterResource PasswordParameter);

    /// <summary>PostgreSQL's invalid_password: the only health-check failure that waiting can never cure.</summary>
    internal const string InvalidPassword = "28P01";

    /// <summary>
    /// How a refusal reads in a health report, from Npgsql (container mode) and from <see cref="HealthDescription"/>
    /// (local mode) alike. <see cref="Line"/> words it otherwise, so that a start failure carrying the line is not taken for one.
    /// </summary>
    private const string RefusalInHealthReport = InvalidPassword + ": password authentication failed";

    private static readonly TimeSpan s_stopPublishedBound = TimeSpan.FromSeconds(30);

    /// <summary>How a health check reports a refused password: as Npgsql words PostgreSQL's error.</summary>
    public static string HealthDescription(string userName) => $"{RefusalInHealthReport} for user \"{userName}\"";

    /// <summary>What the data is told, in every mode: the cause, then what it led to, then the three fixes, the one that keeps the data first.</summary>
    public static string Line(string server, string data, ParameterResource passwordParameter, string consequence) =>
        $"the data in {data} was made with another password than Parameters:{passwordParameter.Name} holds now " +
        $"(PostgreSQL refuses it: {InvalidPassword} password authentication failed), so {consequence}. " +
        UseNewPasswordCommand.MismatchFix(server, passwordParameter, $"reset the data (the dashboard's Reset data, or 'aspire resource {server} {ResetDataCommand.Name}')");

    /// <summary>True when a health check of this start (since <paramref name="startedAt"/>) reported a refused password.</summary>
    public static bool IsReportedIn(IEnumerable<HealthReportSnapshot> healthReports, DateTime startedAt) =>
        healthReports.Any(r => r.LastRunAt?.ToUniversalTime() >= startedAt
            && (r.Description?.Contains(RefusalInHealthReport, StringComparison.Ordinal) == true || r.ExceptionText?.Contains(RefusalInHealthReport, StringComparison.Ordinal) == true));

    /// <summary>
    /// When a start began, for <see cref="IsReportedIn"/>: the moment after the last health check whose report is on the
    /// start's <c>Starting</c> snapshot (those are an earlier start's), or the earliest time when there is none. Taken
    /// from the reports, not from the clock, which a watch that lags behind the updates would read too late.
    /// </summary>
    public static DateTime StartOf(IEnumerable<HealthReportSnapshot> healthReportsOnStarting) =>
        healthReportsOnStarting.Max(r => r.LastRunAt?.ToUniversalTime()) is { } lastRun ? lastRun.AddTicks(1) : DateTime.MinValue;

    /// <summary>Watches from before the start: the clients that wait on the server hold Aspire's start back for good.</summary>
    public static void StartBeforeResources(IDistributedApplicationBuilder builder, Target target) =>
        builder.Eventing.Subscribe<BeforeStartEvent>((e, cancellationToken) =>
        {
            var watch = ActivatorUtilities.CreateInstance<RefusedPasswordWatch>(e.Services, target);
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => watch.RunAsync(stopping), stopping);
            return Task.CompletedTask;
        });

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Per start: a health report of an earlier start may still be on the snapshot when the server runs again,
            // and a refusal after the server was healthy (a password changed by hand while it runs) is not kept data's.
            var startedAt = DateTime.MinValue;
            var healthy = false;
            var shownFailed = false;
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (!ReferenceEquals(update.Resource, target.Server))
                {
                    continue;
                }

                var state = update.Snapshot.State?.Text;
                if (state == KnownResourceStates.Starting)
                {
                    startedAt = StartOf(update.Snapshot.HealthReports);
                    healthy = false;
                    shownFailed = false;
                }
                else if (update.Snapshot.HealthStatus == HealthStatus.Healthy)
                {
                    healthy = true;
                }
                else if (!healthy && !shownFailed && state == KnownResourceStates.Running && IsReportedIn(update.Snapshot.HealthReports, startedAt))
                {
                    shownFailed = await StopAsync(stoppingToken);
                }
                else if (shownFailed && state is not null && state != KnownResourceStates.FailedToStart && KnownResourceStates.TerminalStates.Contains(state))
                {
                    // The orchestrator's later word on the stopped container (Exited) must not hide why it stopped.
                    await ShowAsFailedToStartAsync();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
        catch (Exception ex)
        {
            // Nothing awaits this task: a failure of the watch itself is said, not lost.
            LogWatchFailed(logger, target.Server.Name, ex);
        }
    }

    /// <summary>Says why, stops the server and shows it failed; true once it is shown so.</summary>
    private async Task<bool> StopAsync(CancellationToken stoppingToken)
    {
        var server = target.Server.Name;
        var line = $"{server}: {Line(server, target.Data, target.PasswordParameter, $"{server} can never become healthy: it was stopped")}";
        LogRefused(logger, line);
        LogRefused(resourceLogs.GetLogger(target.Server), line);
        var shown = false;
        var stopped = await commands.ExecuteCommandAsync(target.Server, KnownResourceCommands.StopCommand, stoppingToken);
        if (!stopped.Success)
        {
            LogStopFailed(logger, server, stopped.Message ?? "no reason given");
        }
        else if (await WaitUntilStoppedAsync(stoppingToken))
        {
            await ShowAsFailedToStartAsync();
            shown = true;
        }
        else
        {
            LogStopFailed(logger, server, $"its stop was not seen within {s_stopPublishedBound.TotalSeconds:0} s");
        }

        // Its clients can never end now: a run that ends with them ends here.
        if (StoppedDataCommand.ClientsOf(target.Server, model).Any(c => c.Annotations.OfType<RunOnceAnnotation>().Any(a => a.StopsTheAppHost)))
        {
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }

        return shown;
    }

    /// <summary>Waits, within a bound, until the stop is published (Exited or Finished, which the databases follow).</summary>
    private async Task<bool> WaitUntilStoppedAsync(CancellationToken stoppingToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bounded.CancelAfter(s_stopPublishedBound);
        try
        {
            await notifications.WaitForResourceAsync(target.Server.Name, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), bounded.Token);
            return true;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// The stopped server and its databases are shown as what they are: a start that failed. Only while they are
    /// stopped: a start the user made meanwhile stays as it is.
    /// </summary>
    private async Task ShowAsFailedToStartAsync()
    {
        var failed = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error);
        foreach (var resource in ServerAndDatabases.DatabasesOf(target.Server, model).Prepend(target.Server))
        {
            await notifications.PublishUpdateAsync(resource, s => s.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state) ? s with { State = failed } : s);
        }
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Error, Message = "{Line}")]
    private static partial void LogRefused(ILogger logger, string line);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "{Server} could not be stopped after its password was refused: {Reason}.")]
    private static partial void LogStopFailed(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = 412, Level = LogLevel.Error, Message = "The watch for a refused password on {Server} failed; the dashboard still shows its health.")]
    private static partial void LogWatchFailed(ILogger logger, string server, Exception exception);
}

/// <summary>
/// The local server refused the configured password: its health check reports it in Npgsql's words
/// (<see cref="RefusedPasswordWatch.HealthDescription"/>), as container mode's does, and the watch does the rest.
/// </summary>
internal sealed class RefusedPasswordException(string userName)
    : DistributedApplicationException(RefusedPasswordWatch.HealthDescription(userName));

using System.Text.RegularExpressions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.AppHost.Database;

/// <summary>
/// Container mode's start, seen to its end: a container that fails before it is ready (an image that cannot be pulled,
/// a runtime that cannot run it, a seed script that fails) or a kept volume that refuses the configured password
/// (which Aspire would otherwise wait on forever, without a word: aspire#5399) is reported as one error line on the
/// AppHost's console and in the server's log, naming the cause and the fix. A refused password also stops the
/// container: the dashboard shows it stopped, not running and unhealthy, and its Reset data can start it afresh.
/// While a start is unsettled, the watch subscribes to the server's log: with a subscriber, Aspire publishes a
/// container's end only after reading its log up to then, so the failure report sees the last lines. Once the start
/// has settled it lets go: Aspire does that read (up to 5 s, holding back every resource's state changes) at each stop
/// of a container with a subscriber, as DCP never reports a stopped container's log complete.
/// </summary>
internal sealed partial class ContainerStartWatch(
    ContainerStartWatch.Target target,
    ResourceNotificationService notifications,
    ResourceLoggerService resourceLogs,
    ResourceCommandService commands,
    DistributedApplicationModel model,
    IHostApplicationLifetime lifetime,
    ILogger<ContainerStartWatch> logger)
{
    /// <summary>What is watched: the server, its image, its volume (null for throwaway data) and the seed scripts' folder.</summary>
    public sealed record Target(PostgresServerResource Server, Lazy<string> RuntimeName, string Image, string? Volume, string SeedDirectory)
    {
        public string Runtime => RuntimeName.Value;
    }

    // PostgreSQL's invalid_password: the only health-check failure that waiting can never cure.
    private const string InvalidPassword = "28P01";
    private const int ReportedLines = 20;
    private static readonly TimeSpan s_backlogWait = TimeSpan.FromSeconds(2);

    // The current start's subscription to the server's log (null once that start has settled), and its task.
    private CancellationTokenSource? _subscription;
    private Task _subscribed = Task.CompletedTask;

    /// <summary>
    /// Watches from before the start until the AppHost stops. Not a hosted service: those start only once every
    /// resource has been created, which a client waiting on a container that never becomes healthy holds back for good.
    /// </summary>
    public static void StartBeforeResources(IDistributedApplicationBuilder builder, Target target)
    {
        // A run this watch ends (RunOnce) is cancelled mid-start, which StopDuringStart keeps to one line.
        builder.Eventing.Subscribe<BeforeStartEvent>((e, cancellationToken) =>
        {
            var watch = ActivatorUtilities.CreateInstance<ContainerStartWatch>(e.Services, target);
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => watch.RunAsync(stopping), stopping);
            return Task.CompletedTask;
        });
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Asked now (dcp info, when no runtime is configured), not while a failure waits to be reported: a run
            // that ends with its clients could be gone by then.
            _ = target.Runtime;
            SubscribeToLog(stoppingToken);
            await WatchStartsAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Nothing awaits this task: a failure of the watch itself is said, not lost.
            LogWatchFailed(logger, target.Server.Name, ex);
        }
    }

    private void SubscribeToLog(CancellationToken stoppingToken)
    {
        if (_subscription is null)
        {
            _subscription = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            _subscribed = ReadLogAsync(_subscription.Token);
        }
    }

    /// <summary>Ends the subscription once the start has settled (and so before the watch stops the container).</summary>
    private async Task UnsubscribeFromLogAsync()
    {
        if (_subscription is { } subscription)
        {
            _subscription = null;
            await subscription.CancelAsync();
            await _subscribed;
            subscription.Dispose();
        }
    }

    /// <summary>The subscription itself: the report reads the lines it needs from the backlog (<see cref="LastLinesAsync"/>).</summary>
    private async Task ReadLogAsync(CancellationToken subscriptionToken)
    {
        try
        {
            await foreach (var _ in resourceLogs.WatchAsync(target.Server).WithCancellation(subscriptionToken))
            {
            }
        }
        catch (OperationCanceledException) when (subscriptionToken.IsCancellationRequested)
        {
            // The start has settled, or the AppHost is stopping.
        }
    }

    private async Task WatchStartsAsync(CancellationToken stoppingToken)
    {
        // Per start of the container: healthy once, or already reported. A new start (after a stop) watches afresh.
        var settled = false;
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (!ReferenceEquals(update.Resource, target.Server))
                {
                    continue;
                }

                var snapshot = update.Snapshot;
                var state = snapshot.State?.Text;
                if (state == KnownResourceStates.Starting)
                {
                    settled = false;
                    SubscribeToLog(stoppingToken);
                }
                else if (settled)
                {
                    continue;
                }
                else if (snapshot.HealthStatus == HealthStatus.Healthy)
                {
                    settled = true;
                    await UnsubscribeFromLogAsync();
                }
                else if (state == KnownResourceStates.Running && snapshot.HealthReports.Any(r => r.ExceptionText?.Contains(InvalidPassword, StringComparison.Ordinal) == true))
                {
                    settled = true;
                    await UnsubscribeFromLogAsync();
                    await StopForPasswordAsync(stoppingToken);
                }
                else if (state == KnownResourceStates.FailedToStart || (state is not null && KnownResourceStates.TerminalStates.Contains(state) && snapshot.ExitCode is not (null or 0)))
                {
                    settled = true;
                    await ReportFailedStartAsync(state, snapshot.ExitCode, stoppingToken);
                    await UnsubscribeFromLogAsync();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
        finally
        {
            await UnsubscribeFromLogAsync();
        }
    }

    private async Task StopForPasswordAsync(CancellationToken stoppingToken)
    {
        var reset = target.Volume is null
            ? "start it again"
            : $"reset the data (the dashboard's Reset data, or '{target.Runtime} volume rm {target.Volume}' once the AppHost has stopped) to seed it again";
        Report(
            $"{target.Server.Name}: the password in Parameters:{target.Server.PasswordParameter.Name} is not the one the data in {VolumeText()} was made with " +
            $"(PostgreSQL refuses it: {InvalidPassword} password authentication failed), so {target.Server.Name} can never become healthy: it was stopped. " +
            $"Fix: set Parameters:{target.Server.PasswordParameter.Name} back to the password the data was made with (user secrets, or where you set it), or {reset}.");
        var stopped = await commands.ExecuteCommandAsync(target.Server, KnownResourceCommands.StopCommand, stoppingToken);
        if (!stopped.Success)
        {
            LogStopFailed(logger, stopped.Message ?? "no reason given");
        }

        EndIfRunOnce();
    }

    private async Task ReportFailedStartAsync(string state, int? exitCode, CancellationToken stoppingToken)
    {
        var cause = LastErrorLine(await LastLinesAsync(stoppingToken)) is { } line ? $": {line}" : "";
        Report(state == KnownResourceStates.FailedToStart
            ? $"{target.Server.Name}: {target.Runtime} could not start a container from {target.Image}{cause}. " +
                $"Fix: check that {target.Runtime} can run it ('{target.Runtime} run --rm {target.Image} postgres --version'), " +
                "set Postgres:Image to an image you have or can pull (a mirror), or use Postgres:Mode=local."
            : $"{target.Server.Name}: the container exited with code {exitCode} before it was ready{cause}. " +
                $"If a seed script failed, fix it in {target.SeedDirectory}, then " +
                (target.Volume is null
                    ? $"start {target.Server.Name} again: throwaway data is seeded at every start."
                    : $"reset the data (the dashboard's Reset data, or '{target.Runtime} volume rm {target.Volume}' once the AppHost has stopped): the image seeds a volume only when it is new, and this one is no longer new."));
        EndIfRunOnce();
    }

    /// <summary>Logs the failure on the console and in postgres's log (the dashboard).</summary>
    private void Report(string message)
    {
        LogFailure(logger, message);
        LogFailure(resourceLogs.GetLogger(target.Server), message);
    }

    /// <summary>
    /// A run that should end by itself (<c>--RunOnce=true</c>) ends now, with exit code 1: its clients passed postgres's
    /// Running state, and Aspire's wait for healthy does not end when a dependency stops after that. On the dashboard
    /// they keep waiting, for a reset or a fixed start.
    /// </summary>
    private void EndIfRunOnce()
    {
        if (RunOnce.RunOnceResourceExtensions.EndsTheAppHost(model))
        {
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    /// <summary>
    /// The container's last error line: the runtime's ("Error:") or a client's, such as psql's, which names the script
    /// (the server's own log line for the same error comes on another stream, in either order); else the server's
    /// ERROR or FATAL; else its last line.
    /// </summary>
    private static string? LastErrorLine(List<string> lines)
    {
        var errors = lines.Where(l => l.Contains("Error:", StringComparison.Ordinal) || l.Contains("ERROR:", StringComparison.Ordinal) || l.Contains("FATAL:", StringComparison.Ordinal)).ToList();
        return errors.LastOrDefault(l => !ServerLogLine().IsMatch(l)) ?? errors.LastOrDefault() ?? lines.LastOrDefault(l => l.Length > 0);
    }

    /// <summary>
    /// The last lines of the server's log so far, without timestamps and DCP's [sys] marks (DCP's own report of a
    /// failed start is one entry of many lines). Read from a second subscription's backlog, taken at once: while the
    /// start's subscription lasts, Aspire keeps every line in that backlog before it hands the line on, and so before
    /// it publishes the end that this report follows (the first subscription's lines may not have been read yet).
    /// </summary>
    private async Task<List<string>> LastLinesAsync(CancellationToken stoppingToken)
    {
        var lines = new List<string>();
        // The backlog comes at once; a log with no line at all yields nothing until the next line, so the wait is bounded.
        using var backlogWait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        backlogWait.CancelAfter(s_backlogWait);
        try
        {
            await foreach (var backlog in resourceLogs.WatchAsync(target.Server).WithCancellation(backlogWait.Token))
            {
                lines.AddRange(backlog.SelectMany(l => Timestamps().Replace(RunOnce.RunOnceConsoleService.Plain(l.Content), "").Split('\n'))
                    .Select(line => line.Replace("[sys]", "", StringComparison.Ordinal).Trim(' ', '\'', '\r')));
                break;
            }
        }
        catch (OperationCanceledException) when (backlogWait.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            // No line at all: the report goes without one.
        }

        return lines.TakeLast(ReportedLines).ToList();
    }

    /// <summary>A line of PostgreSQL's own log (log_line_prefix '%m [%p] '): a timestamp with its time zone, then the process id.</summary>
    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \S+ \[\d+\]")]
    private static partial Regex ServerLogLine();

    private string VolumeText() => target.Volume is null ? "the container" : $"the volume '{target.Volume}'";

    /// <summary>The runtime's timestamps, also inside a line that a program wrote in pieces (psql's error, for one).</summary>
    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ")]
    private static partial Regex Timestamps();

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "{Message}")]
    private static partial void LogFailure(ILogger logger, string message);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "The server could not be stopped after its password was refused: {Reason}.")]
    private static partial void LogStopFailed(ILogger logger, string? reason);

    [LoggerMessage(EventId = 404, Level = LogLevel.Error, Message = "The watch on {Server}'s start failed; a failed start is still shown on the dashboard.")]
    private static partial void LogWatchFailed(ILogger logger, string server, Exception exception);
}

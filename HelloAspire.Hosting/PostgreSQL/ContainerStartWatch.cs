using System.Globalization;
using System.Text.RegularExpressions;
using HelloAspire.Hosting.Processes;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.Hosting.PostgreSQL;

/// <summary>
/// A PostgreSQL container's start, seen to its end. A container that fails before it is ready (an image that cannot
/// be had, a runtime that cannot run it, data it cannot start on) becomes one error line on the AppHost's console and
/// in the server's log, with the cause and the fix. (Kept data that refuses the password is <see cref="RefusedPasswordWatch"/>'s,
/// as in local mode.)
/// </summary>
internal sealed partial class ContainerStartWatch(
    ContainerStartWatch.Target target,
    ResourceNotificationService notifications,
    ResourceLoggerService resourceLogs,
    IHostApplicationLifetime lifetime,
    ILogger<ContainerStartWatch> logger) : IHostedService
{
    private readonly Lock _lock = new();

    // The report being made, which the AppHost's stop waits for.
    private Task _reporting = Task.CompletedTask;

    // The current start, as far as its snapshots have come: whether it was refused a password, and whether it is settled.
    private readonly CurrentStart _start = new();

    /// <summary>What is watched, and what the report names.</summary>
    /// <param name="Server">The container.</param>
    /// <param name="RuntimeName">docker or podman, asked only when a report needs it.</param>
    /// <param name="Image">The image reference.</param>
    /// <param name="Volume">The data volume; null for throwaway data.</param>
    /// <param name="ImageFix">What to do about an image the runtime cannot run, in the app's words.</param>
    /// <param name="StopAppHostOnFailure">A run that should end by itself ends now, with exit code 1, instead of waiting on a server that can never become healthy.</param>
    public sealed record Target(PostgresServerResource Server, Func<string> RuntimeName, string Image, string? Volume, string ImageFix, bool StopAppHostOnFailure);

    private const int ReportedLines = 20;
    private static readonly TimeSpan s_logReadBound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_logReadInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Watches from before the start until the AppHost stops: hosted services start only once every resource has been
    /// created, which a client waiting on a container that never becomes healthy holds back for good. As a hosted
    /// service it only holds the AppHost's stop until a report under way is made.
    /// </summary>
    public static void StartBeforeResources(IDistributedApplicationBuilder builder, Target target)
    {
        builder.Services.AddKeyedSingleton(target.Server.Name, (services, _) => ActivatorUtilities.CreateInstance<ContainerStartWatch>(services, target));
        builder.Services.AddSingleton<IHostedService>(services => services.GetRequiredKeyedService<ContainerStartWatch>(target.Server.Name));
        builder.Eventing.Subscribe<BeforeStartEvent>((e, cancellationToken) =>
        {
            var watch = e.Services.GetRequiredKeyedService<ContainerStartWatch>(target.Server.Name);
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => watch.RunAsync(stopping), stopping);
            return Task.CompletedTask;
        });
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The AppHost stops: a failed start not yet reported (its clients' failure can stop a run before the watch has
    /// seen the server's) is reported now, and the stop waits for the report.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (notifications.TryGetCurrentState(target.Server.Name, out var current) && IsFailedStart(current.Snapshot, out var state))
        {
            _ = Settle(() => ReportFailedStartAsync(state, current.Snapshot.ExitCode));
        }

        lock (_lock)
        {
            return _reporting.WaitAsync(cancellationToken);
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Asked now (dcp info, when no runtime is configured), not when a failure is reported: a run that ends
            // with its clients may be stopping by then.
            _ = target.RuntimeName();
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (!ReferenceEquals(update.Resource, target.Server))
                {
                    continue;
                }

                var snapshot = update.Snapshot;
                lock (_lock)
                {
                    _start.Observe(snapshot.State?.Text, snapshot.HealthReports);
                }

                if (snapshot.State?.Text == KnownResourceStates.Starting)
                {
                    continue; // a new start (after a stop) is watched afresh: Observe has forgotten the last one
                }

                if (snapshot.HealthStatus == HealthStatus.Healthy)
                {
                    _ = Settle(() => Task.CompletedTask);
                }
                else if (IsFailedStart(snapshot, out var state))
                {
                    await Settle(() => ReportFailedStartAsync(state, snapshot.ExitCode));
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

    /// <summary>Settles the current start with <paramref name="outcome"/>, unless it is settled already; returns what remains to wait for.</summary>
    private Task Settle(Func<Task> outcome)
    {
        lock (_lock)
        {
            if (!_start.Settled)
            {
                _start.Settled = true;
                _reporting = outcome();
            }

            return _reporting;
        }
    }

    private bool IsFailedStart(CustomResourceSnapshot snapshot, out string state)
    {
        lock (_lock)
        {
            return _start.IsFailedStart(snapshot, out state);
        }
    }

    /// <summary>
    /// A container's current start, from its snapshots in the order they came: whether a health report of it showed a
    /// refused password, and whether it is settled (healthy, or its failure reported: each start is reported once). The
    /// refusal is remembered for the whole start, not read off the failing snapshot alone. When
    /// <see cref="RefusedPasswordWatch"/> stops the server, a health check that was still running can replace the
    /// refusal's report before the stop is published, and the stop would then read as a failed start of its own.
    /// </summary>
    internal sealed class CurrentStart
    {
        // Reports run after this are the current start's (see RefusedPasswordWatch.StartOf).
        private DateTime _startedAt = DateTime.MinValue;
        private bool _refused;

        public bool Settled { get; set; }

        /// <summary>Takes in the server's next snapshot (its state and health reports): a new start forgets the last one.</summary>
        public void Observe(string? state, IEnumerable<HealthReportSnapshot> healthReports)
        {
            if (state == KnownResourceStates.Starting)
            {
                _startedAt = RefusedPasswordWatch.StartOf(healthReports);
                _refused = false;
                Settled = false;
            }

            _refused |= RefusedPasswordWatch.IsReportedIn(healthReports, _startedAt);
        }

        /// <summary>
        /// True when <paramref name="snapshot"/> ends this start with a failure to report: it failed to start, or ended
        /// with an error code, and was not refused a password, which <see cref="RefusedPasswordWatch"/> reports and
        /// shows as failed.
        /// </summary>
        public bool IsFailedStart(CustomResourceSnapshot snapshot, out string state)
        {
            state = snapshot.State?.Text ?? "";
            // The snapshot's own reports too: the AppHost's stop asks about the current snapshot, which may not have been observed yet.
            return (state == KnownResourceStates.FailedToStart || (KnownResourceStates.TerminalStates.Contains(state) && snapshot.ExitCode is not (null or 0)))
                && !_refused && !RefusedPasswordWatch.IsReportedIn(snapshot.HealthReports, _startedAt);
        }
    }

    private async Task ReportFailedStartAsync(string state, int? exitCode)
    {
        var server = target.Server.Name;
        var cause = await LastErrorLineAsync() is { } line ? $": {line}" : "";
        var runtime = target.RuntimeName();
        Report(state == KnownResourceStates.FailedToStart
            ? $"{server}: {runtime} could not start a container from {target.Image}{cause}. " +
                $"Fix: check that {runtime} can run it ('{runtime} run --rm {target.Image} postgres --version'), {target.ImageFix}."
            : $"{server}: the container exited with code {exitCode} before it was ready{cause}. " +
                $"Fix: see {server}'s log; if its data is what fails, " +
                ResetText(", which deletes it.", $"start {server} again: throwaway data is new at every start."));
        StopAppHostIfAsked();
    }

    /// <summary>What to do about the data: reset the volume, or, for throwaway data, <paramref name="throwaway"/>.</summary>
    private string ResetText(string afterReset, string throwaway) =>
        target.Volume is null
            ? throwaway
            : $"reset the data (the dashboard's Reset data, or '{target.RuntimeName()} volume rm {target.Volume}' once the AppHost has stopped){afterReset}";

    /// <summary>Logs the failure on the console and in the server's log (the dashboard).</summary>
    private void Report(string message)
    {
        LogFailure(logger, message);
        LogFailure(resourceLogs.GetLogger(target.Server), message);
    }

    private void StopAppHostIfAsked()
    {
        if (target.StopAppHostOnFailure)
        {
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    /// <summary>
    /// The container's last error line: the runtime's ("Error:") or a client's, such as psql's, which names the script
    /// (the server's own log line for the same error comes on another stream, in either order); else the server's
    /// ERROR or FATAL; else its last line. The orchestrator may hand over a container that has just exited before its
    /// output (only its own lines, for one), so the log is read again until it holds an error line, within a bound.
    /// </summary>
    private async Task<string?> LastErrorLineAsync()
    {
        var deadline = DateTime.UtcNow + s_logReadBound;
        string? lastLine = null;
        while (true)
        {
            var lines = await LastLinesAsync(deadline);
            var errors = lines.Where(l => l.Contains("Error:", StringComparison.Ordinal) || l.Contains("ERROR:", StringComparison.Ordinal) || l.Contains("FATAL:", StringComparison.Ordinal)).ToList();
            if (errors.Count > 0)
            {
                return errors.LastOrDefault(l => !ServerLogLine().IsMatch(l)) ?? errors[^1];
            }

            // A read cut short by the deadline may come back empty: the last line of an earlier read stands.
            lastLine = lines.LastOrDefault(l => l.Length > 0) ?? lastLine;
            if (DateTime.UtcNow + s_logReadInterval >= deadline)
            {
                return lastLine;
            }

            await Task.Delay(s_logReadInterval);
        }
    }

    /// <summary>
    /// The last lines of the server's log, as the orchestrator has them, in the order they were written (it hands
    /// over each stream whole, one after another), without timestamps, colours and its [sys] marks.
    /// </summary>
    /// <remarks>Bounded, but not cancelled by the AppHost's stop, which waits for the report.</remarks>
    private async Task<List<string>> LastLinesAsync(DateTime deadline)
    {
        var entries = new List<string>();
        using var bounded = new CancellationTokenSource(deadline - DateTime.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero);
        try
        {
            var read = await ResourceLogBacklog.ReadAsync(resourceLogs, target.Server, bounded.Token);
            entries.AddRange(read.Lines.Select(line => line.Content));
            if (read.CutShortBecause is { } why)
            {
                // The AppHost stopping right after the container ended: the report says why the log ends here.
                entries.Add($"{DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture)} (the rest of {target.Server.Name}'s log could not be read: {why})");
            }
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            // The report goes with the lines read so far.
        }

        return entries
            .OrderBy(entry => DateTime.TryParse(LeadingTimestamp().Match(entry).Value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : DateTime.MinValue)
            .SelectMany(entry => Decoration().Replace(entry, "").Split('\n'))
            .Select(line => line.Replace("[sys]", "", StringComparison.Ordinal).Trim(' ', '\'', '\r'))
            .TakeLast(ReportedLines)
            .ToList();
    }

    /// <summary>A line of PostgreSQL's own log (log_line_prefix '%m [%p] '): a timestamp with its time zone, then the process id.</summary>
    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \S+ \[\d+\]")]
    private static partial Regex ServerLogLine();

    /// <summary>The orchestrator's timestamp that starts an entry (ISO 8601, in UTC).</summary>
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")]
    private static partial Regex LeadingTimestamp();

    /// <summary>The runtime's timestamps (also inside a line a program wrote in pieces, as psql's error) and console colours.</summary>
    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z |\x1B\[[0-9;]*m")]
    private static partial Regex Decoration();

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "{Message}")]
    private static partial void LogFailure(ILogger logger, string message);

    [LoggerMessage(EventId = 404, Level = LogLevel.Error, Message = "The watch on {Server}'s start failed; a failed start is still shown on the dashboard.")]
    private static partial void LogWatchFailed(ILogger logger, string server, Exception exception);
}

using System.Text.RegularExpressions;
using HelloAspire.Hosting.AppHostConsole;
using HelloAspire.Hosting.Processes;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.Hosting.RunOnce;

/// <summary>A run-once resource; <see cref="StopsTheAppHost"/>: the AppHost stops once every such resource has ended.</summary>
internal sealed record RunOnceAnnotation(bool StopsTheAppHost) : IResourceAnnotation;

/// <summary>
/// Echoes each run-once resource's log lines and how it ended on the AppHost's console, and stops the AppHost once
/// they have ended when asked to (<see cref="RunOnceAnnotation"/>). With <paramref name="aspireLines"/> (Aspire's lines
/// kept off the console), the lines Aspire added to the log are not echoed, unless they are errors: the program's own
/// output is.
/// </summary>
internal sealed partial class RunOnceConsoleService(
    DistributedApplicationModel model,
    ResourceLoggerService resourceLogs,
    ResourceNotificationService notifications,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory,
    AspireLines? aspireLines = null) : BackgroundService
{
    // How long the end of a resource waits for the echo of its last lines before it is reported anyway.
    private static readonly TimeSpan s_catchUpWait = TimeSpan.FromSeconds(2);

    private readonly Lock _exitLock = new();
    private readonly HashSet<string> _runningUntilExit = [];
    private int _exitCode;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var echoed = model.Resources
            .Select(resource => (resource, annotation: resource.Annotations.OfType<RunOnceAnnotation>().LastOrDefault()))
            .Where(x => x.annotation is not null)
            .ToList();
        _runningUntilExit.UnionWith(echoed.Where(x => x.annotation!.StopsTheAppHost).Select(x => x.resource.Name));
        return Task.WhenAll(echoed.SelectMany(x =>
        {
            // One logger and one count per resource, shared by its echo and by the report of its end.
            var logger = loggerFactory.CreateLogger(x.resource.Name);
            var progress = new EchoProgress();
            return new[] { EchoLogsAsync(x.resource, logger, progress, stoppingToken), ReportExitsAsync(x.resource, x.annotation!, logger, progress, stoppingToken) };
        }));
    }

    private async Task EchoLogsAsync(IResource resource, ILogger logger, EchoProgress progress, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var batch in resourceLogs.WatchAsync(resource).WithCancellation(stoppingToken))
            {
                foreach (var line in batch)
                {
                    var plain = Plain(line.Content);
                    if (aspireLines is null || line.IsErrorMessage || !AspireLines.IsAddedToResourceLog(plain))
                    {
                        LogLine(logger, plain);
                    }
                }

                progress.Echoed(batch.Count);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    private async Task ReportExitsAsync(IResource resource, RunOnceAnnotation annotation, ILogger logger, EchoProgress progress, CancellationToken stoppingToken)
    {
        var wasTerminal = false;
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (!ReferenceEquals(update.Resource, resource))
                {
                    continue;
                }

                var state = update.Snapshot.State?.Text;
                var isTerminal = state is not null && KnownResourceStates.TerminalStates.Contains(state);
                if (isTerminal && !wasTerminal)
                {
                    await CatchUpAsync(resource, logger, progress, stoppingToken);
                    var exitCode = update.Snapshot.ExitCode ?? 1;
                    LogEnded(logger, resource.Name, state!, exitCode);
                    if (annotation.StopsTheAppHost)
                    {
                        OneEnded(resource.Name, exitCode);
                        return;
                    }
                }

                wasTerminal = isTerminal;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    /// <summary>
    /// Aspire adds an ended resource's last output to its log before it reports the end, but the echo reads that log
    /// on a loop of its own: the end waits until the echo has caught up, so that it is printed after the resource's
    /// last line and the AppHost never stops before that line is on its console.
    /// </summary>
    private async Task CatchUpAsync(IResource resource, ILogger logger, EchoProgress progress, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(s_catchUpWait);
        try
        {
            var read = await ResourceLogBacklog.ReadAsync(resourceLogs, resource, timeout.Token);
            if (read.CutShortBecause is { } why)
            {
                // A restart replaced the process whose end this is: how many lines it had cannot be known.
                LogCatchUpCutShort(logger, resource.Name, why);
                return;
            }

            await progress.WhenEchoedAsync(read.Lines.Count, timeout.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The end is reported without waiting longer: a slow log stream must not hold the AppHost's exit.
            LogCatchUpTimedOut(logger, resource.Name, s_catchUpWait.TotalSeconds);
        }
    }

    /// <summary>Once every resource that ends the AppHost has ended, stop it, exiting with the first failure's code (else 0).</summary>
    private void OneEnded(string resource, int exitCode)
    {
        lock (_exitLock)
        {
            _runningUntilExit.Remove(resource);
            _exitCode = _exitCode != 0 ? _exitCode : exitCode;
            if (_runningUntilExit.Count > 0)
            {
                return;
            }

            Environment.ExitCode = _exitCode;
        }

        lifetime.StopApplication();
    }

    /// <summary>The line as the resource wrote it: without the orchestrator's timestamp and the console colours.</summary>
    private static string Plain(string content) => Decoration().Replace(content, "");

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT[\d:.]+Z |\x1B\[[0-9;]*m")]
    private static partial Regex Decoration();

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogLine(ILogger logger, string line);

    [LoggerMessage(EventId = 702, Level = LogLevel.Information, Message = "{Resource} ended: {State}, exit code {ExitCode}.")]
    private static partial void LogEnded(ILogger logger, string resource, string state, int exitCode);

    [LoggerMessage(EventId = 703, Level = LogLevel.Warning, Message = "{Resource}'s last lines did not reach the console within {Seconds} s; the dashboard has them all.")]
    private static partial void LogCatchUpTimedOut(ILogger logger, string resource, double seconds);

    [LoggerMessage(EventId = 704, Level = LogLevel.Warning, Message = "{Resource}'s last lines could not be counted ({Reason}); the dashboard has them all.")]
    private static partial void LogCatchUpCutShort(ILogger logger, string resource, string reason);

    /// <summary>How many of a resource's log lines the echo has printed, and a way to wait for a count.</summary>
    private sealed class EchoProgress
    {
        private readonly Lock _lock = new();
        private int _lines;
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Echoed(int lines)
        {
            TaskCompletionSource changed;
            lock (_lock)
            {
                _lines += lines;
                changed = _changed;
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }

        public async Task WhenEchoedAsync(int lines, CancellationToken cancellationToken)
        {
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    if (_lines >= lines)
                    {
                        return;
                    }

                    changed = _changed.Task;
                }

                await changed.WaitAsync(cancellationToken);
            }
        }
    }
}

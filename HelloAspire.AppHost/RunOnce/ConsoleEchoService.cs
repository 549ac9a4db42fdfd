using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.AppHost.RunOnce;

/// <summary>Echoes each <see cref="ConsoleEchoAnnotation"/> resource's log lines and exit on the AppHost's console.</summary>
internal sealed partial class ConsoleEchoService(
    DistributedApplicationModel model,
    ResourceLoggerService resourceLogs,
    ResourceNotificationService notifications,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly Lock _exitLock = new();
    private readonly HashSet<string> _runningUntilExit = [];
    private int _exitCode;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var echoed = model.Resources
            .Select(resource => (resource, annotation: resource.Annotations.OfType<ConsoleEchoAnnotation>().LastOrDefault()))
            .Where(x => x.annotation is not null)
            .ToList();
        _runningUntilExit.UnionWith(echoed.Where(x => x.annotation!.ExitAppHost).Select(x => x.resource.Name));
        return Task.WhenAll(echoed.SelectMany(x => new[] { EchoLogsAsync(x.resource, stoppingToken), ReportExitsAsync(x.resource, x.annotation!, stoppingToken) }));
    }

    private async Task EchoLogsAsync(IResource resource, CancellationToken stoppingToken)
    {
        var logger = loggerFactory.CreateLogger(resource.Name);
        try
        {
            await foreach (var batch in resourceLogs.WatchAsync(resource).WithCancellation(stoppingToken))
            {
                foreach (var line in batch)
                {
                    var plain = Plain(line.Content);
                    LogLine(logger, plain);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    private async Task ReportExitsAsync(IResource resource, ConsoleEchoAnnotation annotation, CancellationToken stoppingToken)
    {
        var logger = loggerFactory.CreateLogger(resource.Name);
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
                    var exitCode = update.Snapshot.ExitCode ?? 1;
                    LogEnded(logger, resource.Name, state!, exitCode);
                    if (annotation.ExitAppHost)
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
    internal static string Plain(string content) => Decoration().Replace(content, "");

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT[\d:.]+Z |\x1B\[[0-9;]*m")]
    private static partial Regex Decoration();

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogLine(ILogger logger, string line);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Resource} ended: {State}, exit code {ExitCode}.")]
    private static partial void LogEnded(ILogger logger, string resource, string state, int exitCode);
}

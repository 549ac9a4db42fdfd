using System.Collections.Concurrent;
using System.Globalization;

namespace HelloAspire.Tests.Support;

/// <summary>
/// One started app's story for a failure report and for timeouts that must say what they waited on: each resource's
/// state changes, and the log lines of every resource that is not a container, as they come (a container's log is
/// read once, when asked: while anyone watches it, Aspire holds every state change for 5 s at each container stop).
/// </summary>
public sealed class AppRecording : IAsyncDisposable
{
    private const int ReportedLogLines = 80;
    private static readonly TimeSpan s_finalDescriptionTimeout = TimeSpan.FromSeconds(5);
    private readonly DistributedApplication _app;
    private readonly ConcurrentQueue<string> _states = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _logs = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _watches = [];
    private string? _final;

    private AppRecording(DistributedApplication app, string name)
    {
        _app = app;
        _watches.Add(RecordStatesAsync(_stop.Token));

        FailureReport.Current?.Add($"{name}: resource states as they changed", () => string.Join(Environment.NewLine, _states));
        FailureReport.Current?.Add($"{name}: resources at the end, with the last lines of each log", async token => _final ?? await DescribeAsync(token));
    }

    private DistributedApplicationModel Model => _app.Services.GetRequiredService<DistributedApplicationModel>();

    public static AppRecording Start(DistributedApplication app, string name) => new(app, name);

    /// <summary>Each resource's state now, then the last lines of its log (read from the log's backlog for containers).</summary>
    public async Task<string> DescribeAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        foreach (var resource in Model.Resources)
        {
            lines.Add($"{resource.Name}: {StateOf(resource.Name)}");
            var log = _logs.TryGetValue(resource.Name, out var recorded) ? [.. recorded] : await BacklogAsync(resource, cancellationToken);
            lines.AddRange(log.TakeLast(ReportedLogLines).Select(line => $"  | {line}"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private string StateOf(string resourceName) =>
        _app.ResourceNotifications.TryGetCurrentState(resourceName, out var current) ? Describe(current.Snapshot) : "no state reported";

    private static string Describe(CustomResourceSnapshot snapshot) =>
        $"{snapshot.State?.Text ?? "(none)"}" +
        (snapshot.HealthStatus is { } health ? $", {health}" : "") +
        (snapshot.ExitCode is { } exitCode ? $", exit code {exitCode}" : "") +
        (snapshot.HealthReports.FirstOrDefault(r => r.Description is not null || r.ExceptionText is not null) is { } report
            ? $" ({report.Description ?? report.ExceptionText?.Split('\n')[0]})"
            : "");

    private async Task<List<string>> BacklogAsync(IResource resource, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        try
        {
            await foreach (var batch in _app.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource).WithCancellation(cancellationToken))
            {
                lines.AddRange(batch.Select(line => line.Content));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lines.Add("(the rest of the log could not be read in time)");
        }

        return lines;
    }

    private async Task RecordStatesAsync(CancellationToken cancellationToken)
    {
        var last = new Dictionary<string, string>();
        try
        {
            await foreach (var update in _app.ResourceNotifications.WatchAsync(cancellationToken))
            {
                var state = Describe(update.Snapshot);
                // A resource's log can be watched once Aspire has begun its start (it names the log then).
                if (update.Resource is not ContainerResource && update.Snapshot.State?.Text is { Length: > 0 } text && text != KnownResourceStates.NotStarted
                    && _logs.TryAdd(update.Resource.Name, new ConcurrentQueue<string>()))
                {
                    lock (_watches)
                    {
                        _watches.Add(RecordLogAsync(update.Resource, _logs[update.Resource.Name], cancellationToken));
                    }
                }

                if (!last.TryGetValue(update.Resource.Name, out var previous) || previous != state)
                {
                    last[update.Resource.Name] = state;
                    _states.Enqueue($"{DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} {update.Resource.Name}: {state}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The app has stopped.
        }
    }

    private async Task RecordLogAsync(IResource resource, ConcurrentQueue<string> lines, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in _app.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(resource).WithCancellation(cancellationToken))
            {
                foreach (var line in batch)
                {
                    lines.Enqueue(line.Content);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The app has stopped.
        }
    }

    /// <summary>
    /// Before the app is disposed: keeps how its resources ended for the report (a disposed app can no longer be
    /// asked), and stops recording.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        using (var bounded = new CancellationTokenSource(s_finalDescriptionTimeout))
        {
            try
            {
                _final = await DescribeAsync(bounded.Token);
            }
            catch (ObjectDisposedException ex)
            {
                // A start that failed early: Aspire has already disposed the app's services. The states recorded so far
                // stay in the report; the failure that ended the start is the test's to report, not this one.
                _final = $"(the app's services were already disposed: {ex.Message.Split('\n')[0]})";
            }
        }

        await _stop.CancelAsync();
        Task[] watches;
        lock (_watches)
        {
            watches = [.. _watches];
        }

        await Task.WhenAll(watches);
        _stop.Dispose();
    }
}

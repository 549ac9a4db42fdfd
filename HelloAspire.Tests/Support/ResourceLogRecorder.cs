namespace HelloAspire.Tests.Support;

/// <summary>
/// Every line a resource logs while the app runs, across its restarts: Aspire starts a resource's log afresh on each
/// start, so after a failed restart the lines that explain it would otherwise be gone. Stops with the app.
/// </summary>
public sealed class ResourceLogRecorder
{
    private readonly List<string> _lines = [];
    private readonly Task _recording;

    private ResourceLogRecorder(DistributedApplication app, string resourceName, CancellationToken cancellationToken) =>
        _recording = RecordAsync(
            app.Services.GetRequiredService<ResourceLoggerService>(),
            app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName),
            cancellationToken);

    public static ResourceLogRecorder Start(DistributedApplication app, string resourceName, CancellationToken cancellationToken) =>
        new(app, resourceName, cancellationToken);

    /// <summary>How many lines logged so far contain <paramref name="text"/>.</summary>
    public int Count(string text)
    {
        lock (_lines)
        {
            return _lines.Count(line => line.Contains(text, StringComparison.Ordinal));
        }
    }

    public bool Contains(string text) => Count(text) > 0;

    /// <summary>The last <paramref name="count"/> lines logged so far.</summary>
    public string Tail(int count)
    {
        lock (_lines)
        {
            return string.Join(Environment.NewLine, _lines.TakeLast(count));
        }
    }

    private async Task RecordAsync(ResourceLoggerService logs, IResource resource, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in logs.WatchAsync(resource).WithCancellation(cancellationToken))
            {
                lock (_lines)
                {
                    _lines.AddRange(batch.Select(line => line.Content));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The test is over.
        }
    }
}

namespace HelloAspire.Hosting.Processes;

/// <summary>
/// A resource's whole log as the orchestrator has it now. The orchestrator refuses the log of an object it is deleting
/// (a process or container that a restart replaced, or that the AppHost's stop ends); the read then ends with the
/// lines so far and says why, instead of throwing into its reader (a failure report, the console's echo) and from there
/// into the AppHost's stop.
/// </summary>
internal static class ResourceLogBacklog
{
    /// <summary>The lines read, and why there are no more when the orchestrator cut the read short (null: the whole log).</summary>
    public sealed record Read(IReadOnlyList<LogLine> Lines, string? CutShortBecause);

    /// <remarks>A cancellation goes on to the caller, as from <see cref="ResourceLoggerService.GetAllAsync(IResource)"/>.</remarks>
    public static async Task<Read> ReadAsync(ResourceLoggerService logs, IResource resource, CancellationToken cancellationToken)
    {
        var lines = new List<LogLine>();
        try
        {
            await foreach (var batch in logs.GetAllAsync(resource).WithCancellation(cancellationToken))
            {
                lines.AddRange(batch);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new(lines, ex.Message.Split('\n')[0]);
        }

        return new(lines, null);
    }
}

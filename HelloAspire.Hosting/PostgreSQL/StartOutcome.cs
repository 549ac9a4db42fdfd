using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HelloAspire.Hosting.PostgreSQL;

/// <summary>
/// The end of a start asked for with Aspire's start command: healthy, failed, or ended again. The command returns
/// before the resource's state moves on, so the state it was stopped in still stands for a moment and must not be
/// taken for the new start's end.
/// </summary>
internal static class StartOutcome
{
    /// <summary>
    /// A predicate for <see cref="ResourceNotificationService.WaitForResourceAsync(string, Func{ResourceEvent, bool}, CancellationToken)"/>,
    /// given the snapshot taken before the start: a terminal state counts once its stop time is a new one, a failed start
    /// once the state has left the one it was stopped in.
    /// </summary>
    public static Func<ResourceEvent, bool> After(CustomResourceSnapshot? stopped)
    {
        var moved = stopped?.State?.Text != KnownResourceStates.FailedToStart;
        return e =>
        {
            var state = e.Snapshot.State?.Text;
            moved |= state != KnownResourceStates.FailedToStart;
            return state == KnownResourceStates.Running && e.Snapshot.HealthStatus == HealthStatus.Healthy
                || state == KnownResourceStates.FailedToStart && moved
                || state is not null && KnownResourceStates.TerminalStates.Contains(state) && e.Snapshot.StopTimeStamp != stopped?.StopTimeStamp;
        };
    }
}

using HelloAspire.Hosting.PostgreSQL;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HelloAspire.Hosting.Tests;

/// <summary>
/// What the container's start watch takes for a failed start to report. A refused password is not one: the
/// refused-password watch reports it, stops the server and shows it as failed. A health check still running as it
/// stopped the server once replaced the refusal's report before the stop was published. The stop then read as a
/// failed start of its own, and a run got two error lines for one cause.
/// </summary>
public sealed class ContainerStartWatchTests
{
    // When the health checks of the start ran.
    private static readonly DateTime s_startedAt = new(2026, 12, 7, 19, 18, 0, DateTimeKind.Utc);

    [Fact]
    public void AServerStoppedForARefusedPasswordIsNotAFailedStartAfterALaterHealthReportReplacedTheRefusal()
    {
        var start = new ContainerStartWatch.CurrentStart();
        start.Observe(KnownResourceStates.Starting, []);
        start.Observe(KnownResourceStates.Running, [Refused(s_startedAt.AddSeconds(2))]);
        // The stop, published with the report of a check that ran as the server stopped.
        start.Observe(KnownResourceStates.FailedToStart, [NotAnswering(s_startedAt.AddSeconds(3))]);
        var stopped = Snapshot(KnownResourceStates.FailedToStart);

        Assert.False(start.IsFailedStart(stopped, out _), "The stop that followed a refused password was taken for a failed start of its own: a later health report had replaced the refusal's.");
    }

    [Fact]
    public void ANewStartForgetsTheLastStartsRefusalSoThatItsOwnFailureIsReported()
    {
        var start = new ContainerStartWatch.CurrentStart();
        start.Observe(KnownResourceStates.Running, [Refused(s_startedAt.AddSeconds(2))]);
        // The last start's report can still be on the snapshot when the new start's failure comes.
        start.Observe(KnownResourceStates.Starting, [Refused(s_startedAt.AddSeconds(2))]);
        start.Observe(KnownResourceStates.Exited, [Refused(s_startedAt.AddSeconds(2))]);
        var exited = Snapshot(KnownResourceStates.Exited) with { ExitCode = 1 };

        Assert.True(start.IsFailedStart(exited, out var state), "A new start's failure was taken for the last start's refused password, whose report was still on the snapshot.");
        Assert.Equal(KnownResourceStates.Exited, state);
    }

    [Fact]
    public void AStartThatFailsWithoutARefusalIsReported()
    {
        var start = new ContainerStartWatch.CurrentStart();
        start.Observe(KnownResourceStates.Starting, []);
        start.Observe(KnownResourceStates.FailedToStart, [NotAnswering(s_startedAt.AddSeconds(1))]);
        var failed = Snapshot(KnownResourceStates.FailedToStart);

        Assert.True(start.IsFailedStart(failed, out var state), "A start that failed with no refused password was not taken for a failed start.");
        Assert.Equal(KnownResourceStates.FailedToStart, state);
    }

    private static CustomResourceSnapshot Snapshot(string state) => new()
    {
        ResourceType = "Container",
        Properties = [],
        State = state,
    };

    private static HealthReportSnapshot Refused(DateTime at) =>
        new("postgres_check", HealthStatus.Unhealthy, "28P01: password authentication failed for user \"postgres\"", null) { LastRunAt = at };

    private static HealthReportSnapshot NotAnswering(DateTime at) =>
        new("postgres_check", HealthStatus.Unhealthy, "Failed to connect to 127.0.0.1:5432", null) { LastRunAt = at };
}

using HelloAspire.Hosting.PostgreSQL;

namespace HelloAspire.Hosting.Tests;

/// <summary>
/// What reset-data (and the tests' own stop/start) takes for the end of a new start. Aspire's start command returns
/// before the state moves on, so the state the server was stopped in is still current for a moment: taken for the new
/// start's end, it made reset-data report "did not start again" now and then, and leave the clients stopped.
/// </summary>
public sealed class StartOutcomeTests
{
    private static readonly DateTime s_stoppedAt = new(2026, 11, 29, 15, 0, 0, DateTimeKind.Utc);
    private static readonly ContainerResource s_server = new("postgres");

    [Fact]
    public void TheStateTheServerWasStoppedInIsNotTheNewStartsEnd()
    {
        var stopped = Snapshot(KnownResourceStates.Finished, stoppedAt: s_stoppedAt);
        var outcome = StartOutcome.After(stopped);

        Assert.False(outcome(Event(stopped)));
        Assert.False(outcome(Event(Snapshot(KnownResourceStates.Starting))));
        Assert.True(outcome(Event(Snapshot(KnownResourceStates.Running)))); // running, with no health report against it: healthy
        Assert.True(outcome(Event(Snapshot(KnownResourceStates.Exited, stoppedAt: s_stoppedAt.AddSeconds(3)))));
        Assert.True(outcome(Event(Snapshot(KnownResourceStates.FailedToStart))));
    }

    [Fact]
    public void AServerThatHadFailedToStartCountsAsFailedAgainOnlyAfterItsStateMoved()
    {
        var outcome = StartOutcome.After(Snapshot(KnownResourceStates.FailedToStart));

        Assert.False(outcome(Event(Snapshot(KnownResourceStates.FailedToStart))));
        Assert.False(outcome(Event(Snapshot(KnownResourceStates.Starting))));
        Assert.True(outcome(Event(Snapshot(KnownResourceStates.FailedToStart))));
    }

    private static CustomResourceSnapshot Snapshot(string state, DateTime? stoppedAt = null) => new()
    {
        ResourceType = "Executable",
        Properties = [],
        State = state,
        StopTimeStamp = stoppedAt,
    };

    private static ResourceEvent Event(CustomResourceSnapshot snapshot) => new(s_server, "postgres-abc", snapshot);
}

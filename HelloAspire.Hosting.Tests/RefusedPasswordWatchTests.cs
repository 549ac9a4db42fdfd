using HelloAspire.Hosting.PostgreSQL;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HelloAspire.Hosting.Tests;

/// <summary>
/// What the refused-password watch takes for a refusal, and the line it says: the same in container and local mode,
/// but for the data it names.
/// </summary>
public sealed class RefusedPasswordWatchTests
{
    private static readonly DateTime s_startedAt = new(2026, 12, 7, 6, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void ARefusalIsTakenFromEitherModesHealthReportOnlyWhenThisStartMadeIt()
    {
        // Container mode: Npgsql's exception; local mode: the health check's own description, in the same words.
        var container = Report(description: "28P01: password authentication failed for user \"postgres\"", exception: "Npgsql.PostgresException (0x80004005): 28P01: password authentication failed for user \"postgres\"", at: s_startedAt.AddSeconds(2));
        var local = Report(description: RefusedPasswordWatch.HealthDescription("postgres"), exception: null, at: s_startedAt.AddSeconds(2));
        var earlierStart = local with { LastRunAt = s_startedAt.AddSeconds(-30) };
        var otherFailure = Report(description: "The server does not accept connections: timeout", exception: null, at: s_startedAt.AddSeconds(2));
        var password = Bare.Builder().AddParameter("postgres-password", secret: true).Resource;
        // A kept-running server's refused start carries the line itself: it must not be taken for a refusal to stop on.
        var keptServerFailure = Report(description: RefusedPasswordWatch.Line("postgres", "'/data/pgdata'", password, "the kept-running server was left alone"), exception: null, at: s_startedAt.AddSeconds(2));

        Assert.True(RefusedPasswordWatch.IsReportedIn([container], s_startedAt));
        Assert.True(RefusedPasswordWatch.IsReportedIn([local], s_startedAt));
        Assert.False(RefusedPasswordWatch.IsReportedIn([earlierStart], s_startedAt)); // a stale report must not stop a fixed server again
        Assert.False(RefusedPasswordWatch.IsReportedIn([otherFailure], s_startedAt));
        Assert.False(RefusedPasswordWatch.IsReportedIn([keptServerFailure], s_startedAt));
    }

    [Fact]
    public void AStartBeginsAfterTheReportsOnItsStartingSnapshotNotWhenAWatchGetsToIt()
    {
        // The last start's refusal, still on the snapshot when the server starts again (Use new password).
        var lastStarts = Report(description: RefusedPasswordWatch.HealthDescription("postgres"), exception: null, at: s_startedAt.AddSeconds(2));
        var startedAt = RefusedPasswordWatch.StartOf([lastStarts]);
        // This start's first check, run before a watch that lags behind the updates has even seen the Starting state.
        var thisStarts = lastStarts with { LastRunAt = s_startedAt.AddSeconds(4) };

        Assert.False(RefusedPasswordWatch.IsReportedIn([lastStarts], startedAt), "The last start's refusal was taken for this start's.");
        Assert.True(RefusedPasswordWatch.IsReportedIn([thisStarts], startedAt), "This start's refusal was not taken for one.");
        Assert.Equal(DateTime.MinValue, RefusedPasswordWatch.StartOf([]));
    }

    [Fact]
    public void TheLineNamesTheDataTheParameterAndTheThreeFixesTheOneThatKeepsTheDataFirst()
    {
        var password = Bare.Builder().AddParameter("postgres-password", secret: true).Resource;

        Assert.Equal(
            "the data in the volume 'v' was made with another password than Parameters:postgres-password holds now " +
            "(PostgreSQL refuses it: 28P01 password authentication failed), so postgres can never become healthy: it was stopped. " +
            "Fix: keep the data and give it this password (the dashboard's Use new password, or 'aspire resource postgres use-new-password'); " +
            "or set Parameters:postgres-password back to the one the data was made with; " +
            "or reset the data (the dashboard's Reset data, or 'aspire resource postgres reset-data'), which deletes the data.",
            RefusedPasswordWatch.Line("postgres", "the volume 'v'", password, "postgres can never become healthy: it was stopped"));
    }

    private static HealthReportSnapshot Report(string description, string? exception, DateTime at) =>
        new("postgres_check", HealthStatus.Unhealthy, description, exception) { LastRunAt = at };
}

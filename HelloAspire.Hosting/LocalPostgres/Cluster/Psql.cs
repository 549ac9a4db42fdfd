using System.Globalization;
using System.Runtime.Versioning;

using HelloAspire.Hosting.Processes;
using HelloAspire.Hosting.PostgreSQL;
using HelloAspire.Seeding;
using Microsoft.Extensions.Logging.Abstractions;

namespace HelloAspire.Hosting.LocalPostgres.Cluster;

/// <summary>Where psql connects: a unix socket directory or a TCP host, as the superuser.</summary>
[UnsupportedOSPlatform("windows")]
internal sealed record PsqlTarget(string Host, int Port, string Password, string Database)
{
    /// <summary>libpq's PG* variables (the password never reaches argv); also what the seed's *.sh scripts see.</summary>
    public Dictionary<string, string> Environment() => new()
    {
        ["PGHOST"] = Host,
        ["PGPORT"] = Port.ToString(CultureInfo.InvariantCulture),
        ["PGUSER"] = LocalPostgresServerResource.UserName,
        ["PGPASSWORD"] = Password,
        ["PGDATABASE"] = Database,
        ["PGCONNECT_TIMEOUT"] = "5",
    };
}

/// <summary>
/// The AppHost talks to its local server through the server's own client, psql, as the official image's entrypoint
/// does: a process of a few milliseconds, instead of loading and compiling a database driver on the start's critical
/// path. It runs as the server account, with nothing of the AppHost's environment (see <see cref="Unix.ServerAccount.ToolStartInfo"/>):
/// a <c>PGHOSTADDR</c> or <c>PGSERVICE</c> of the user's never sends the app's statements elsewhere.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class Psql
{
    // CREATE DATABASE cannot run in a function or a transaction, hence psql's \if around it.
    private const string CreateDatabaseIfMissingScript =
        """
        SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') AS missing \gset
        \if :missing
        CREATE DATABASE :"database";
        \echo Created database :"database".
        \endif
        """;

    public static Task<ProcessResult> RunAsync(
        LocalPostgresServerResource server,
        PsqlTarget target,
        IEnumerable<string> arguments,
        ILogger log,
        CancellationToken cancellationToken,
        string? standardInput = null) =>
        server.Account.RunToolAsync(server.Installation.Psql, ["--no-psqlrc", "--no-password", "--set=ON_ERROR_STOP=1", .. arguments], log, cancellationToken, target.Environment(), standardInput);

    public static async Task CreateDatabaseIfMissingAsync(LocalPostgresServerResource server, PsqlTarget target, string databaseName, ILogger log, CancellationToken cancellationToken)
    {
        var result = await RunAsync(server, target with { Database = "postgres" }, ["--quiet", $"--set=database={databaseName}"], log, cancellationToken, CreateDatabaseIfMissingScript);
        if (!result.Succeeded)
        {
            throw IsPasswordRejected(result)
                ? new RefusedPasswordException(LocalPostgresServerResource.UserName)
                : new LocalPostgresException($"Could not create database '{databaseName}' (psql exit code {result.ExitCode}): {result.Errors.Trim()} Fix: see the server's log.");
        }
    }

    /// <summary>
    /// Sets the superuser's password (a template's copy comes with the template's): on standard input, never on a
    /// command line, hashed by the server as scram-sha-256 (its password_encryption).
    /// </summary>
    public static async Task SetPasswordAsync(LocalPostgresServerResource server, PsqlTarget target, string password, ILogger log, CancellationToken cancellationToken)
    {
        var literal = "'" + password.Replace("'", "''", StringComparison.Ordinal) + "'";
        var result = await RunAsync(server, target with { Database = "postgres" }, ["--quiet"], log, cancellationToken,
            $"ALTER ROLE \"{LocalPostgresServerResource.UserName}\" PASSWORD {literal};");
        if (!result.Succeeded)
        {
            throw new LocalPostgresException($"Could not set the password on the new data (psql exit code {result.ExitCode}). Fix: see the server's log; the unfinished data is initialized afresh on the next start.");
        }
    }

    // Read only where the table is: a database without one (kept data from before the seed rule, or a database without
    // scripts) would otherwise put an ERROR in the server's log at every start. A lock held on the table (a session left
    // open in a transaction on a kept-running server) fails the read within a second instead of holding the start: the
    // seed rule's own check then connects and waits as it always did.
    private const string SeedHistoryScript =
        $"""
        SET lock_timeout = '1s';
        SELECT to_regclass('{SeedScripts.HistoryTable}') IS NOT NULL AS recorded \gset
        \if :recorded
        SELECT script, sha256 FROM {SeedScripts.HistoryTable};
        \endif
        """;

    /// <summary>
    /// What the seed history of <paramref name="target"/>'s database records (script name to SHA-256): empty without
    /// the table, null when psql cannot read it. Either way the seed rule's own check decides at the ready event; this
    /// only lets it skip a connection when every script is recorded as it is.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>?> SeedHistoryAsync(LocalPostgresServerResource server, PsqlTarget target, CancellationToken cancellationToken)
    {
        // Not logged: the rows are not the server's news. A failure needs no report here, as the check at the ready event
        // connects anyway and reports what it meets.
        var result = await RunAsync(server, target, ["--quiet", "--tuples-only", "--no-align", "--field-separator-zero"], NullLogger.Instance, cancellationToken, SeedHistoryScript);
        if (!result.Succeeded)
        {
            return null;
        }

        var history = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (row.Split('\0') is [var script, var sha256])
            {
                history[script] = sha256;
            }
        }

        return history;
    }

    /// <summary>The server runs with locale C (initdb --locale=C), and psql with LC_ALL=C, so the messages are in English.</summary>
    public static bool IsPasswordRejected(ProcessResult result) =>
        result.Errors.Contains("password authentication failed", StringComparison.Ordinal);
}

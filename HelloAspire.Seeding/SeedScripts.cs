using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HelloAspire.Seeding;

/// <summary>
/// The seed rule, the same for every server: the <c>*.sql</c> scripts of a folder run in ordinal name order, each once
/// per database, recorded in <see cref="HistoryTable"/> with its SHA-256. A script added later runs on the next
/// application; an applied script that changed since is refused by name, never run again or skipped in silence. Each
/// script runs in one transaction with the row that records it, so a failing script writes nothing. An advisory lock
/// keeps two appliers (two replicas, an AppHost and a seed step) from running a script twice.
/// </summary>
/// <remarks>
/// Hand-written rather than taken from a migration library: DbUp keeps no checksum and takes no lock, and Evolve
/// cannot read <c>NN-name.sql</c> without a custom loader, is synchronous with a lock wait that cannot be cancelled, and
/// records failed runs (docs/reference.md, <i>Seeding</i>).
/// </remarks>
public static partial class SeedScripts
{
    /// <summary>The table that records what was applied, in the database's default schema.</summary>
    public const string HistoryTable = "helloaspire_seed_history";

    /// <summary>The table's definition, made when missing.</summary>
    public const string CreateHistoryTable =
        $"CREATE TABLE IF NOT EXISTS {HistoryTable} (script text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());";

    // The advisory lock's key: one per database, shared with every applier of this rule.
    private const string LockKey = "hashtext('helloaspire-seed')";

    /// <summary>What <see cref="HistoryTable"/> records of a script's text: its SHA-256, lower-case hex, of its UTF-8 bytes.</summary>
    public static string Sha256Of(string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(script)));
    }

    /// <summary>
    /// The scripts of <paramref name="directory"/>, in the order they run; <paramref name="setting"/> names where the
    /// folder is set, for the fix. Only <c>*.sql</c> runs: a shell script is refused rather than left out in silence.
    /// </summary>
    /// <exception cref="SeedException">The folder is missing, or holds a shell script.</exception>
    public static IReadOnlyList<string> Find(string directory, string setting)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new SeedException($"The seed directory '{directory}' does not exist. Fix: create it, or set {setting} to the folder with the *.sql scripts.");
        }

        var files = Directory.GetFiles(directory).Order(StringComparer.Ordinal).ToList();
        if (files.FirstOrDefault(f => f.EndsWith(".sh", StringComparison.Ordinal)) is { } shell)
        {
            throw new SeedException($"Seed script {Path.GetFileName(shell)} is a shell script; seeding runs *.sql scripts only. Fix: write it as SQL.");
        }

        return [.. files.Where(f => f.EndsWith(".sql", StringComparison.Ordinal))];
    }

    /// <summary>A script of <see cref="Find"/>'s as the rule records it: its file name, its text, and that text's <see cref="Sha256Of"/>.</summary>
    public static async Task<SeedScript> ReadAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var sql = await File.ReadAllTextAsync(path, cancellationToken);
        return new(Path.GetFileName(path), sql, Sha256Of(sql));
    }

    /// <summary>
    /// True when <paramref name="history"/> (script name to SHA-256, as <see cref="HistoryTable"/> holds them) records
    /// every one of <paramref name="scripts"/> as it is now: applying them would do nothing, and each is logged as
    /// <see cref="ApplyAsync"/> logs it. False for anything else (a new script, or a changed one, which
    /// <see cref="ApplyAsync"/> then applies or refuses); nothing is logged then.
    /// </summary>
    public static async Task<bool> AllRecordedAsync(IReadOnlyList<string> scripts, IReadOnlyDictionary<string, string> history, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scripts);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(logger);
        foreach (var path in scripts)
        {
            var script = await ReadAsync(path, cancellationToken);
            if (history.GetValueOrDefault(script.Name) != script.Sha256)
            {
                return false;
            }
        }

        foreach (var name in scripts.Select(Path.GetFileName))
        {
            LogAlreadyApplied(logger, name!);
        }

        return true;
    }

    /// <summary>Applies <paramref name="scripts"/> (from <see cref="Find"/>) on <paramref name="connection"/>'s database; returns how many ran.</summary>
    /// <exception cref="SeedException">A script failed (nothing of it was written), or changed after it was applied.</exception>
    public static async Task<int> ApplyAsync(NpgsqlConnection connection, IReadOnlyList<string> scripts, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(scripts);
        ArgumentNullException.ThrowIfNull(logger);
        if (scripts.Count == 0)
        {
            // Nothing to record: a database that is seeded by other means gets no table of ours.
            return 0;
        }

        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({LockKey});", cancellationToken);
        try
        {
            await ExecuteAsync(connection, null, CreateHistoryTable, cancellationToken);
            var applied = await AppliedAsync(connection, cancellationToken);
            var ran = 0;
            foreach (var script in scripts)
            {
                if (await ApplyOnceAsync(connection, script, applied, logger, cancellationToken))
                {
                    ran++;
                }
            }

            return ran;
        }
        finally
        {
            // A session's lock outlives its use: a kept connection would hold it, and the next applier would wait on it.
            // A cancelled run leaves it to the connection's close (which ends a session, or resets a pooled one).
            if (!cancellationToken.IsCancellationRequested && connection.FullState == System.Data.ConnectionState.Open)
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({LockKey});", CancellationToken.None);
            }
        }
    }

    private static async Task<Dictionary<string, string>> AppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand($"SELECT script, sha256 FROM {HistoryTable}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetString(0)] = reader.GetString(1);
        }

        return applied;
    }

    private static async Task<bool> ApplyOnceAsync(NpgsqlConnection connection, string path, Dictionary<string, string> applied, ILogger logger, CancellationToken cancellationToken)
    {
        var (name, sql, hash) = await ReadAsync(path, cancellationToken);
        switch (applied.GetValueOrDefault(name))
        {
            case { } recorded when recorded == hash:
                LogAlreadyApplied(logger, name);
                return false;
            case { }:
                throw new SeedException(
                    $"Seed script {name} changed after it was applied to this database, and an applied script never runs again. " +
                    $"Fix: restore {name} as it was (git checkout), and put the change in a new script that sorts after it.");
        }

        var parts = SeedScriptText.Parts(name, sql);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            foreach (var part in parts)
            {
                await RunAsync(connection, transaction, part, cancellationToken);
            }
        }
        catch (PostgresException ex)
        {
            throw new SeedException(
                $"Seed script {name} failed, and nothing of it was written: {ex.MessageText} (SQLSTATE {ex.SqlState}). " +
                "Fix: correct the script and start again; the scripts before it stay applied.", ex);
        }

        await using var record = new NpgsqlCommand($"INSERT INTO {HistoryTable} (script, sha256) VALUES ($1, $2)", connection, transaction)
        {
            Parameters = { new() { Value = name }, new() { Value = hash } },
        };
        await record.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogApplied(logger, name);
        return true;
    }

    private static async Task RunAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, SeedScriptText.Part part, CancellationToken cancellationToken)
    {
        if (part.CopyData is null)
        {
            // No time limit: a large seed takes as long as it takes; a stop cancels it.
            await using var command = new NpgsqlCommand(part.Sql, connection, transaction) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(cancellationToken);
            return;
        }

        await using var import = await connection.BeginTextImportAsync(part.Sql, cancellationToken);
        await import.WriteAsync(part.CopyData.AsMemory(), cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Seed: applied {Script}.")]
    private static partial void LogApplied(ILogger logger, string script);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Seed: {Script} was applied before; nothing to do.")]
    private static partial void LogAlreadyApplied(ILogger logger, string script);
}

/// <summary>A seed script as <see cref="SeedScripts.HistoryTable"/> records it: its file name, and the SHA-256 of its text.</summary>
/// <param name="Name">The file name, the history's key.</param>
/// <param name="Sql">The script's text.</param>
/// <param name="Sha256">The SHA-256 of <paramref name="Sql"/> (<see cref="SeedScripts.Sha256Of"/>).</param>
public sealed record SeedScript(string Name, string Sql, string Sha256);

/// <summary>A seed script that failed, changed after it was applied, or cannot run: its message is one line with the fix.</summary>
public sealed class SeedException(string message, Exception? innerException = null) : Exception(message, innerException);

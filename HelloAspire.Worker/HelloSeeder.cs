using System.Security.Cryptography;
using Npgsql;

namespace HelloAspire.Worker;

/// <summary>
/// The seeding step (<c>Hello:Task=Seed</c>) for a server the app does not start (a managed PostgreSQL, or an existing
/// server when asked): the scripts in <c>seed/</c>, in name order, each once. Each script runs in one transaction with
/// the row that records it, so a failing script writes nothing; an advisory lock keeps two seeders (two replicas, two
/// deployments) from running the same script twice. A script that changed after it was applied is an error, not
/// silently skipped or run again.
/// </summary>
public sealed partial class HelloSeeder(HelloReader reader, IOptions<HelloOptions> options, ILogger<HelloSeeder> logger)
{
    /// <summary>The first script in <c>seed/</c> that failed, changed since it was applied, or cannot run here.</summary>
    public sealed class SeedException(string message, Exception? innerException = null) : Exception(message, innerException);

    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        var directory = options.Value.SeedDirectory;
        var scripts = Directory.Exists(directory)
            ? Directory.GetFiles(directory).Order(StringComparer.Ordinal).ToList()
            : throw new SeedException($"The seed directory '{directory}' does not exist. Fix: set Hello:SeedDirectory to the folder with the *.sql scripts.");
        if (scripts.FirstOrDefault(s => s.EndsWith(".sh", StringComparison.Ordinal)) is { } shell)
        {
            throw new SeedException($"{Path.GetFileName(shell)} is a shell script; the seeding step runs *.sql scripts only. Fix: write it as SQL.");
        }

        await using var connection = await reader.OpenWithRetriesAsync(cancellationToken);
        await ExecuteAsync(connection, null, "SELECT pg_advisory_lock(hashtext('helloaspire-seed'));", cancellationToken);
        try
        {
            await ExecuteAsync(connection, null,
                """
                CREATE TABLE IF NOT EXISTS helloaspire_seed_history (
                    script     text        PRIMARY KEY,
                    sha256     text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                );
                """, cancellationToken);
            foreach (var script in scripts.Where(s => s.EndsWith(".sql", StringComparison.Ordinal)))
            {
                await ApplyOnceAsync(connection, script, cancellationToken);
            }
        }
        finally
        {
            // A session's lock outlives its use: the pooled connection would hold it, and a second seeder would wait on it.
            await ExecuteAsync(connection, null, "SELECT pg_advisory_unlock(hashtext('helloaspire-seed'));", CancellationToken.None);
        }
    }

    private async Task ApplyOnceAsync(NpgsqlConnection connection, string path, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        var sql = await File.ReadAllTextAsync(path, cancellationToken);
        var hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sql)));
        await using var applied = new NpgsqlCommand("SELECT sha256 FROM helloaspire_seed_history WHERE script = $1", connection) { Parameters = { new() { Value = name } } };
        switch (await applied.ExecuteScalarAsync(cancellationToken) as string)
        {
            case { } recorded when recorded == hash:
                LogAlreadyApplied(logger, name);
                return;
            case { }:
                throw new SeedException($"{name} changed after it was applied to this database. Fix: put the change in a new script (02-….sql); an applied script is never run again.");
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await ExecuteAsync(connection, transaction, sql, cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new SeedException($"{name} failed, nothing of it was written: {ex.MessageText} (SQLSTATE {ex.SqlState}). Fix: correct the script, then run the step again.", ex);
        }

        await using var record = new NpgsqlCommand("INSERT INTO helloaspire_seed_history (script, sha256) VALUES ($1, $2)", connection, transaction)
        {
            Parameters = { new() { Value = name }, new() { Value = hash } },
        };
        await record.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogApplied(logger, name);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Seed: applied {Script}.")]
    private static partial void LogApplied(ILogger logger, string script);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Seed: {Script} was applied before; nothing to do.")]
    private static partial void LogAlreadyApplied(ILogger logger, string script);
}

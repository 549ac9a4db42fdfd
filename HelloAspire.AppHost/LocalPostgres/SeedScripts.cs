using System.Runtime.Versioning;
using Npgsql;

namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>
/// The official image's /docker-entrypoint-initdb.d contract, for the local server: <c>*.sql</c> through psql with
/// ON_ERROR_STOP and <c>*.sh</c> through bash (with PG* set), in ordinal name order, stopping at the first failure.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class SeedScripts(LocalPostgresServerResource server, ILogger resourceLog)
{
    public static IReadOnlyList<string> Find(string? directory)
    {
        if (directory is null)
        {
            return [];
        }

        if (!Directory.Exists(directory))
        {
            throw new LocalPostgresException($"The seed directory '{directory}' does not exist. Fix: create it, or point Postgres:SeedDirectory at the folder that holds the init scripts.");
        }

        return [.. Directory.GetFiles(directory).Order(StringComparer.Ordinal)];
    }

    public async Task RunAsync(string socketConnectionString, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnectionStringBuilder(socketConnectionString) { Database = server.InitDatabaseName };
        var environment = new Dictionary<string, string>
        {
            ["PGHOST"] = connection.Host!,
            ["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGUSER"] = connection.Username!,
            ["PGPASSWORD"] = connection.Password!,
            ["PGDATABASE"] = connection.Database,
            ["POSTGRES_USER"] = connection.Username!,
            ["POSTGRES_DB"] = connection.Database,
        };

        foreach (var script in Find(server.InitFilesDirectory))
        {
            var name = Path.GetFileName(script);
            (string Command, string[] Arguments)? run = Path.GetExtension(script) switch
            {
                ".sql" => (server.Installation.Psql, ["--no-psqlrc", "--no-password", "--set=ON_ERROR_STOP=1", $"--file={script}"]),
                ".sh" => ("bash", [script]),
                _ => null,
            };
            if (run is not { } tool)
            {
                Log.IgnoringSeedFile(resourceLog, name);
                continue;
            }

            Log.RunningSeedScript(resourceLog, name, connection.Database);
            var result = await ToolProcess.RunAsync(tool.Command, tool.Arguments, environment, resourceLog, cancellationToken);
            if (!result.Succeeded)
            {
                throw new LocalPostgresException(
                    $"Seed script '{name}' failed (exit code {result.ExitCode}): {result.StandardError.Trim()} " +
                    $"Fix: correct '{script}' and start again; the unfinished data directory is initialized afresh on the next start.");
            }
        }
    }
}

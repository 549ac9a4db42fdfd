using System.Runtime.Versioning;

using HelloAspire.Hosting.Processes;

namespace HelloAspire.Hosting.LocalPostgres.Cluster;

/// <summary>
/// The official image's /docker-entrypoint-initdb.d contract, for the local server: <c>*.sql</c> through psql with
/// ON_ERROR_STOP and <c>*.sh</c> through bash (with PG* set), in ordinal name order, stopping at the first failure.
/// Both run as the server account, as the image runs them, never as the AppHost's user (root, in CI). The AppHost
/// reads each script and hands it over (on psql's standard input, or as a copy in its own folder for bash), so the
/// account needs no access to where the scripts live (a checkout under /root, say).
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class SeedScripts(LocalPostgresServerResource server, ILogger resourceLog)
{
    /// <summary>The scripts in <paramref name="directory"/>, in name order; <paramref name="setting"/> names where the directory is set.</summary>
    public static IReadOnlyList<string> Find(string? directory, string setting)
    {
        if (directory is null)
        {
            return [];
        }

        if (!Directory.Exists(directory))
        {
            throw new LocalPostgresException($"The seed directory '{directory}' does not exist. Fix: create it, or point {setting} at the folder that holds the init scripts.");
        }

        return [.. Directory.GetFiles(directory).Order(StringComparer.Ordinal)];
    }

    public async Task RunAsync(PsqlTarget initServer, CancellationToken cancellationToken)
    {
        var target = initServer with { Database = server.InitDatabaseName };
        var environment = target.Environment();
        environment["POSTGRES_USER"] = LocalPostgresServerResource.UserName;
        environment["POSTGRES_DB"] = target.Database;

        foreach (var script in Find(server.InitFilesDirectory, server.SettingNames.SeedDirectory))
        {
            var name = Path.GetFileName(script);
            var extension = Path.GetExtension(script);
            if (extension is not (".sql" or ".sh"))
            {
                Log.IgnoringSeedFile(resourceLog, name);
                continue;
            }

            Log.RunningSeedScript(resourceLog, name, target.Database);
            var result = extension == ".sql"
                ? await Psql.RunAsync(server, target, ["--file=-"], resourceLog, cancellationToken, await File.ReadAllTextAsync(script, cancellationToken))
                : await RunShellScriptAsync(script, environment, cancellationToken);
            if (!result.Succeeded)
            {
                throw new LocalPostgresException(
                    $"Seed script '{name}' failed (exit code {result.ExitCode}): {result.Errors.Trim()} " +
                    $"Fix: correct '{script}' and start again; the unfinished data directory is initialized afresh on the next start.");
            }
        }
    }

    private async Task<ProcessResult> RunShellScriptAsync(string script, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var copy = Path.Combine(server.Data.Root, "seed-script.sh");
        LocalPostgresDataDirectory.WriteNew(copy, await File.ReadAllTextAsync(script, cancellationToken),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        try
        {
            return await server.Account.RunToolAsync("/bin/bash", [copy], resourceLog, cancellationToken, environment);
        }
        finally
        {
            File.Delete(copy);
        }
    }
}

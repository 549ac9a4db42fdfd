using System.Runtime.Versioning;

namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>initdb, as the server account, with the app's options: scram-sha-256 for every client, UTF8, locale C.</summary>
[UnsupportedOSPlatform("windows")]
internal static class InitDb
{
    /// <summary>The options every cluster of the app is made with (a template's key includes them).</summary>
    public static readonly string[] Options =
    [
        $"--username={LocalPostgresServerResource.UserName}",
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        "--no-instructions",
    ];

    /// <summary>
    /// Initializes <paramref name="pgData"/> (an empty directory the server account owns) with <paramref name="password"/>,
    /// which reaches initdb through a 0600 file beside it that only the server account can read, never through argv.
    /// Without <paramref name="durable"/>, nothing is synced to disk (throwaway data).
    /// </summary>
    public static async Task RunAsync(LocalPostgresServerResource server, string pgData, string password, bool durable, ILogger log, CancellationToken cancellationToken)
    {
        var passwordFile = Path.Combine(Path.GetDirectoryName(pgData)!, "initdb.pwfile");
        await using (var stream = new FileStream(passwordFile, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteLineAsync(password);
        }

        try
        {
            server.Account.GiveOwnership(passwordFile);
            List<string> arguments = [$"--pgdata={pgData}", $"--pwfile={passwordFile}", .. Options];
            if (!durable)
            {
                arguments.Add("--no-sync");
            }

            await RunAsServerAsync(server, server.Installation.InitDb, arguments, $"initdb failed for '{pgData}'", log, cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>Runs a tool as the server account; a failure is a <see cref="LocalPostgresException"/> that starts with <paramref name="failure"/>.</summary>
    public static async Task RunAsServerAsync(LocalPostgresServerResource server, string tool, IEnumerable<string> arguments, string failure, ILogger log, CancellationToken cancellationToken)
    {
        var (command, wrapped) = server.Account.Wrap(tool, arguments);
        var result = await ToolProcess.RunAsync(command, wrapped, new Dictionary<string, string>(), log, cancellationToken);
        if (!result.Succeeded)
        {
            throw new LocalPostgresException($"{failure} (exit code {result.ExitCode}): {result.StandardError.Trim()} Fix: see the postgres resource's log; delete '{server.Data.Root}' to start over.");
        }
    }
}

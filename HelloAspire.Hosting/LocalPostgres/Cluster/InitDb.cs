using System.Runtime.Versioning;

namespace HelloAspire.Hosting.LocalPostgres.Cluster;

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
    /// Initializes <paramref name="pgData"/> (an empty directory the server account owns) with <paramref name="password"/>.
    /// The password reaches initdb through <paramref name="passwordFile"/>, never argv: a new file in a folder only the
    /// AppHost's user writes, created 0600 and given to the server account on the open file, deleted after use.
    /// Without <paramref name="durable"/>, nothing is synced to disk (throwaway data).
    /// </summary>
    public static async Task RunAsync(LocalPostgresServerResource server, string pgData, string passwordFile, string password, bool durable, ILogger log, CancellationToken cancellationToken)
    {
        var account = server.Account;
        LocalPostgresDataDirectory.WriteNew(passwordFile, password + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite,
            stream => account.GiveToAccount(stream, server.SettingNames.DataDirectory));
        try
        {
            List<string> arguments = [$"--pgdata={pgData}", $"--pwfile={passwordFile}", .. Options];
            if (!durable)
            {
                arguments.Add("--no-sync");
            }

            await account.RunNewDataStepAsync(server.Installation.InitDb, arguments, $"initdb failed for '{pgData}'", log, cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }
}

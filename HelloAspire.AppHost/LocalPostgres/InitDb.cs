using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>initdb, as the server account, with the app's options: scram-sha-256 for every client, UTF8, locale C.</summary>
[UnsupportedOSPlatform("windows")]
internal static partial class InitDb
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
            stream => GiveToAccount(stream, account));
        try
        {
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
        var result = await ToolProcess.RunAsync(server.Account.ToolStartInfo(tool, arguments), log, cancellationToken);
        if (!result.Succeeded)
        {
            throw new LocalPostgresException($"{failure} (exit code {result.ExitCode}): {result.StandardError.Trim()} Fix: see the postgres resource's log; the unfinished data is initialized afresh on the next start.");
        }
    }

    private static void GiveToAccount(FileStream stream, ServerAccount account)
    {
        if (!account.IsCurrentUser && fchown(stream.SafeFileHandle.DangerousGetHandle().ToInt32(), account.UserId, account.GroupId) != 0)
        {
            throw new LocalPostgresException($"Could not give initdb's password file to the '{account.Name}' account: {Marshal.GetLastPInvokeErrorMessage()}. Fix: choose a data directory on a local file system that root may chown (Postgres:DataDirectory).");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fchown(int descriptor, uint owner, uint group);
}

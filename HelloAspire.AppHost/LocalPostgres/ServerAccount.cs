using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>
/// The operating-system account that owns the data directory and runs the server.
/// PostgreSQL refuses to run as root, so a root AppHost (CI, a container) hands the server to the
/// <c>postgres</c> account through <c>setpriv</c>, which execs in place: DCP still supervises the real server process.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed partial record ServerAccount(string Name, uint UserId, uint GroupId, bool IsCurrentUser)
{
    public const string ServiceAccountName = "postgres";
    private const string SetprivPath = "/usr/bin/setpriv";

    public static ServerAccount Resolve()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return new(Environment.UserName, geteuid(), getegid(), IsCurrentUser: true);
        }

        var entry = getpwnam(ServiceAccountName);
        if (entry == IntPtr.Zero)
        {
            throw new LocalPostgresException(
                $"The AppHost runs as root, and PostgreSQL refuses to run as root, but there is no '{ServiceAccountName}' account to run it as. " +
                "Fix: install Debian's 'postgresql' package (it creates the account), or run the AppHost as an ordinary user.");
        }

        if (!File.Exists(SetprivPath))
        {
            throw new LocalPostgresException(
                $"The AppHost runs as root and needs '{SetprivPath}' (util-linux) to start PostgreSQL as '{ServiceAccountName}'. " +
                "Fix: install util-linux, or run the AppHost as an ordinary user.");
        }

        var passwd = Marshal.PtrToStructure<Passwd>(entry);
        return new(ServiceAccountName, passwd.UserId, passwd.GroupId, IsCurrentUser: false);
    }

    /// <summary>The command line that runs <paramref name="executable"/> as this account.</summary>
    public (string Command, IReadOnlyList<string> Arguments) Wrap(string executable, IEnumerable<string> arguments) =>
        IsCurrentUser
            ? (executable, [.. arguments])
            : (SetprivPath, [$"--reuid={UserId}", $"--regid={GroupId}", "--init-groups", "--", executable, .. arguments]);

    /// <summary>Creates <paramref name="path"/> (if missing) owned by this account with mode 0700.</summary>
    public void CreatePrivateDirectory(string path)
    {
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        GiveOwnership(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void GiveOwnership(string path)
    {
        if (!IsCurrentUser && chown(path, UserId, GroupId) != 0)
        {
            var error = Marshal.GetLastPInvokeErrorMessage();
            throw new LocalPostgresException($"Could not give '{path}' to the '{Name}' account: {error}. Fix: choose a data directory on a local file system that root may chown (Postgres:DataDirectory).");
        }
    }

    /// <summary>
    /// PostgreSQL refuses a data directory that its account does not own (say, made by another user, or restored as
    /// root): say so before the server starts, and change nothing.
    /// </summary>
    public void EnsureOwns(string pgData, string dataRoot)
    {
        if (OwnerOf(pgData) is { } owner && owner != UserId)
        {
            throw new LocalPostgresException(
                $"'{pgData}' belongs to user id {owner}, but the server runs as '{Name}' (user id {UserId}), so PostgreSQL would refuse it. Nothing was changed. " +
                $"Fix: if the data is yours, run 'chown -R {Name} {dataRoot}'; otherwise set Postgres:DataDirectory to another directory.");
        }
    }

    private static uint? OwnerOf(string path)
    {
        var startInfo = new System.Diagnostics.ProcessStartInfo("stat") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in OperatingSystem.IsMacOS() ? ["-f", "%u", path] : new[] { "-c", "%u", path })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 && uint.TryParse(output.Trim(), out var uid) ? uid : null;
    }

    /// <summary>
    /// The server account must be able to reach the data directory; a parent such as /root (0700) stops it.
    /// </summary>
    public void EnsureCanTraverse(string path, string setting = "Postgres:DataDirectory")
    {
        if (IsCurrentUser)
        {
            return;
        }

        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if ((File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
            {
                throw new LocalPostgresException(
                    $"The '{Name}' account cannot reach '{path}' because '{dir}' is not searchable by other users. " +
                    $"Fix: set {setting} to a directory outside '{dir}' (for example under /var/lib), or run 'chmod o+x {dir}'.");
            }
        }
    }

    /// <summary>SIGINT: PostgreSQL's "fast" shutdown (roll back open transactions, checkpoint, exit).</summary>
    public static void SignalFastShutdown(int postmasterPid)
    {
        const int sigint = 2;
        if (kill(postmasterPid, sigint) != 0)
        {
            throw new LocalPostgresException($"Could not stop the postgres server (pid {postmasterPid}): {Marshal.GetLastPInvokeErrorMessage()}. Fix: stop it from the dashboard.");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Passwd
    {
        public readonly IntPtr Name;
        public readonly IntPtr Password;
        public readonly uint UserId;
        public readonly uint GroupId;
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr getpwnam(string name);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int chown(string path, uint owner, uint group);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc")]
    private static partial uint getegid();
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using HelloAspire.Hosting.Processes;

namespace HelloAspire.Hosting.LocalPostgres.Unix;

/// <summary>
/// The operating-system account that runs the server and its tools, and owns only what the server needs (its data
/// and its socket directory). PostgreSQL refuses to run as root, so a root AppHost (CI, a container) hands the server
/// and every tool to the <c>postgres</c> account through <c>setpriv</c>, which execs in place: DCP still supervises the
/// real server process. Whatever runs as that account gets a clean environment, never the AppHost's (root's home, CI
/// tokens, the user's own <c>PG*</c> variables).
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed partial record ServerAccount(string Name, uint UserId, uint GroupId, string Home, bool IsCurrentUser)
{
    public const string ServiceAccountName = "postgres";
    private const string SetprivPath = "/usr/bin/setpriv";
    private const string EnvPath = "/usr/bin/env";

    /// <summary>The only directories a tool's PATH holds: never one the AppHost's own PATH brings.</summary>
    private const string SystemPath = "/usr/local/bin:/usr/bin:/bin";

    public static ServerAccount Resolve()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return new(Environment.UserName, geteuid(), getegid(), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), IsCurrentUser: true);
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
        return new(ServiceAccountName, passwd.UserId, passwd.GroupId, Marshal.PtrToStringUTF8(passwd.Directory) ?? "/", IsCurrentUser: false);
    }

    /// <summary>
    /// The command line DCP starts the server with: as this account, with an environment of nothing but the account's
    /// own basics (<c>setpriv --reset-env</c>; as the current user, <c>env -i</c>), so nothing of the AppHost's reaches it.
    /// </summary>
    public (string Command, IReadOnlyList<string> Arguments) ServerCommand(string executable, IEnumerable<string> arguments) =>
        IsCurrentUser
            ? (EnvPath, ["-i", $"PATH={SystemPath}", $"HOME={Home}", "--", executable, .. arguments])
            : (SetprivPath, [.. SwitchToAccount, "--reset-env", "--", executable, .. arguments]);

    /// <summary>
    /// How a tool runs as this account (psql, initdb, a seed script, cp): its environment is this account's basics and
    /// <paramref name="environment"/>, nothing inherited; the password, when it needs one, is in that environment or
    /// on its standard input, never on a command line.
    /// </summary>
    public ProcessStartInfo ToolStartInfo(string tool, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        // From "/": the AppHost's own working directory (a checkout under /root, say) may be closed to the account.
        var startInfo = new ProcessStartInfo(IsCurrentUser ? tool : SetprivPath) { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var argument in IsCurrentUser ? arguments : [.. SwitchToAccount, "--", tool, .. arguments])
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Clear();
        startInfo.Environment["PATH"] = SystemPath;
        startInfo.Environment["HOME"] = Home;
        // The server's and psql's messages in English: the app reads some of them (a refused password).
        startInfo.Environment["LC_ALL"] = "C";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        return startInfo;
    }

    /// <summary>Runs a tool as this account to its end (see <see cref="ToolStartInfo"/>); its output goes to <paramref name="log"/>.</summary>
    public Task<ProcessResult> RunToolAsync(
        string tool, IEnumerable<string> arguments, ILogger log, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null, string? input = null) =>
        ProcessRunner.RunAsync(ToolStartInfo(tool, arguments, environment), cancellationToken, input, log);

    /// <summary>As <see cref="RunToolAsync"/>, for a step of making new data: a failure is a <see cref="LocalPostgresException"/> that starts with <paramref name="failure"/>.</summary>
    public async Task RunNewDataStepAsync(string tool, IEnumerable<string> arguments, string failure, ILogger log, CancellationToken cancellationToken)
    {
        var result = await RunToolAsync(tool, arguments, log, cancellationToken);
        if (!result.Succeeded)
        {
            throw new LocalPostgresException($"{failure} (exit code {result.ExitCode}): {result.Errors.Trim()} Fix: see the server's log; the unfinished data is initialized afresh on the next start.");
        }
    }

    private string[] SwitchToAccount => [$"--reuid={UserId}", $"--regid={GroupId}", "--init-groups"];

    /// <summary>Creates <paramref name="path"/> (a new entry in a directory only the AppHost's user writes) owned by this account, mode 0700.</summary>
    public void CreatePrivateDirectory(string path, string dataDirectorySetting)
    {
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (!IsCurrentUser && lchown(path, UserId, GroupId) != 0)
        {
            var error = Marshal.GetLastPInvokeErrorMessage();
            throw new LocalPostgresException($"Could not give '{path}' to the '{Name}' account: {error}. Fix: choose a data directory on a local file system that root may chown ({dataDirectorySetting}).");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>
    /// PostgreSQL refuses a data directory that its account does not own (say, made by another user, or restored as
    /// root): say so before the server starts, and change nothing.
    /// </summary>
    public void EnsureOwns(string pgData, string dataDirectorySetting)
    {
        if (FileOwner.Of(pgData) is { } owner && owner.UserId != UserId)
        {
            throw new LocalPostgresException(
                $"'{pgData}' belongs to user id {owner.UserId}, but the server runs as '{Name}' (user id {UserId}), so PostgreSQL would refuse it. Nothing was changed. " +
                $"Fix: if the data is yours, run 'chown -R {Name} {pgData}'; otherwise reset the data (the dashboard's Reset data), or set {dataDirectorySetting} to a new directory.");
        }
    }

    /// <summary>
    /// The server account must be able to reach the data directory; a parent such as /root (0700) stops it.
    /// </summary>
    public void EnsureCanTraverse(string path, string setting)
    {
        if (IsCurrentUser)
        {
            return;
        }

        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (Directory.Exists(dir) && (File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
            {
                throw new LocalPostgresException(
                    $"The '{Name}' account cannot reach '{path}' because '{dir}' is not searchable by other users. " +
                    $"Fix: set {setting} to a directory outside '{dir}' (for example under /var/lib), or run 'chmod o+x {dir}'.");
            }
        }
    }

    /// <summary>
    /// As root, the programs run as this account must be root's alone: a PostgreSQL binary or folder that another user
    /// can write would let that user run code as the server account, with what the AppHost gives it.
    /// </summary>
    public void EnsureTrusted(PostgresInstallation installation, string binDirectorySetting)
    {
        if (IsCurrentUser)
        {
            return;
        }

        string[] paths = [installation.Postgres, installation.InitDb, installation.Psql, .. Ancestors(installation.BinDirectory)];
        foreach (var path in paths)
        {
            var owner = FileOwner.Of(path);
            var writableByOthers = (File.GetUnixFileMode(path) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;
            if (owner is not { UserId: 0 } || writableByOthers)
            {
                throw new LocalPostgresException(
                    $"The AppHost runs as root, and '{path}' is {(owner is not { UserId: 0 } ? $"owned by user id {owner?.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}" : "writable by other users")}, so another user could change what runs as '{Name}'. Nothing was started. " +
                    $"Fix: use PostgreSQL binaries that only root can change (Debian: apt-get install postgresql), or set {binDirectorySetting} to such a folder.");
            }
        }

        static IEnumerable<string> Ancestors(string directory)
        {
            for (var dir = Path.GetFullPath(directory); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
            {
                yield return dir;
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

    /// <summary>Gives a file just created, through its open handle (no path to swap), to this account.</summary>
    public void GiveToAccount(FileStream stream, string dataDirectorySetting)
    {
        if (!IsCurrentUser && fchown(stream.SafeFileHandle.DangerousGetHandle().ToInt32(), UserId, GroupId) != 0)
        {
            throw new LocalPostgresException($"Could not give '{stream.Name}' to the '{Name}' account: {Marshal.GetLastPInvokeErrorMessage()}. Fix: choose a data directory on a local file system that root may chown ({dataDirectorySetting}).");
        }
    }

    /// <summary>Gives <paramref name="path"/> (not following a symbolic link) to the AppHost's own user: for data made by an earlier version, whose folder the server account owned.</summary>
    public static void TakeBack(string path)
    {
        if (lchown(path, geteuid(), getegid()) != 0)
        {
            throw new LocalPostgresException($"Could not take '{path}' back from the server account: {Marshal.GetLastPInvokeErrorMessage()}. Nothing else was changed. Fix: run 'chown root: {path}'.");
        }
    }

    /// <summary>The AppHost's own user id.</summary>
    public static uint CurrentUserId => geteuid();

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Passwd
    {
        public readonly IntPtr Name;
        public readonly IntPtr Password;
        public readonly uint UserId;
        public readonly uint GroupId;
        public readonly IntPtr Gecos;
        public readonly IntPtr Directory;
        public readonly IntPtr Shell;
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr getpwnam(string name);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int lchown(string path, uint owner, uint group);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fchown(int descriptor, uint owner, uint group);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc")]
    private static partial uint getegid();
}

using HelloAspire.Hosting.LocalPostgres.Unix;

namespace HelloAspire.Hosting.LocalPostgres.Cluster;

/// <summary>
/// The files of one local server, all under one root that the AppHost's user owns and only it writes:
/// <c>local-postgres.marker</c> (this integration made the folder and may manage it), <c>pgdata/</c> (PGDATA) and
/// <c>socket/</c> (the private unix-socket directory), the only parts the server account owns,
/// <c>password.verifier</c> (see <see cref="PasswordVerifier"/>) and, only while a first start is unfinished, the
/// <c>initializing</c> marker. A folder the integration did not make (not empty, no marker) is never used, changed or
/// deleted; inside its own folder, only what a first start makes is ever thrown away.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class LocalPostgresDataDirectory(string root, LocalPostgresSettingNames? settingNames = null)
{
    /// <summary>What the user changes to use another directory, named in the fixes.</summary>
    private readonly string _setting = (settingNames ?? new()).DataDirectory;

    /// <summary>What the marker says, for whoever finds the folder.</summary>
    private const string MarkerText =
        "This folder holds a PostgreSQL server's data, made and managed by an Aspire AppHost's local PostgreSQL integration.\n" +
        "Its pgdata/ is the server's data; reset it from the AppHost's dashboard (Reset data) rather than by hand.\n";

    private static readonly string[] s_appFiles = ["apphost.lock", "apphost.json", "initializing", "password.verifier", "initdb.pwfile"];

    public string Root { get; } = Path.GetFullPath(root);

    public string PgData => Path.Combine(Root, "pgdata");

    public string SocketDirectory => Path.Combine(Root, "socket");

    internal string MarkerFile => Path.Combine(Root, "local-postgres.marker");

    internal string InitializingMarker => Path.Combine(Root, "initializing");

    internal string PidFile => Path.Combine(PgData, "postmaster.pid");

    internal string PasswordVerifierFile => Path.Combine(Root, "password.verifier");

    /// <summary>initdb's password, only while initdb runs: in the AppHost's own folder, readable by the server account alone.</summary>
    internal string InitDbPasswordFile => Path.Combine(Root, "initdb.pwfile");

    /// <summary>Whether the folder is this integration's: missing, empty, marked, or data an earlier version made.</summary>
    private enum Claim
    {
        Missing,
        Empty,
        Marked,
        EarlierLayout,
    }

    /// <summary>
    /// Fails, changing nothing, when the folder is not this integration's to use: a symbolic link, not a folder,
    /// another user's, or not empty without the marker. Called when the app model is built, before anything starts.
    /// </summary>
    internal void EnsureUsable(ServerAccount account) => _ = ClaimOf(account);

    /// <summary>True when the folder carries the marker (so it may hold a running AppHost's lock).</summary>
    internal bool IsMarked => File.Exists(MarkerFile);

    /// <summary>
    /// Makes the folder this integration's at the start: created if missing (mode 0700, or 0711 when the server
    /// account must pass through it to its data), marked, and data from before the marker adopted.
    /// </summary>
    internal void TakeOwnership(ServerAccount account)
    {
        var claim = ClaimOf(account);
        switch (claim)
        {
            case Claim.Missing:
                Directory.CreateDirectory(Path.GetDirectoryName(Root)!);
                Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                break;
            case Claim.EarlierLayout:
                AdoptEarlierLayout();
                break;
        }

        if (claim != Claim.Marked)
        {
            WriteNew(MarkerFile, MarkerText, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        // Set on a folder checked just now to be this user's own and not a link, in a parent no one else may rename it in.
        File.SetUnixFileMode(Root, account.IsCurrentUser
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    private Claim ClaimOf(ServerAccount account)
    {
        if (FileOwner.Of(Root) is not { } owner)
        {
            return Claim.Missing;
        }

        const string nothingChanged = "Nothing in it was changed.";
        if (owner.IsSymbolicLink || !owner.IsDirectory)
        {
            throw new LocalPostgresException(
                $"The data directory '{Root}' is {(owner.IsSymbolicLink ? "a symbolic link" : "not a directory")}, and the app uses only a real directory of its own. {nothingChanged} " +
                $"Fix: set {_setting} to a new path (the app makes the directory).");
        }

        var earlierLayout = !IsMarked && File.Exists(Path.Combine(PgData, "PG_VERSION")) && File.Exists(PasswordVerifierFile);
        var ownUser = ServerAccount.CurrentUserId;
        if (owner.UserId != ownUser && !(earlierLayout && owner.UserId == account.UserId))
        {
            throw new LocalPostgresException(
                $"The data directory '{Root}' belongs to user id {owner.UserId}, not to the AppHost's user (id {ownUser}), so the app will not use it. {nothingChanged} " +
                $"Fix: set {_setting} to a new path (the app makes the directory).");
        }

        if (IsMarked)
        {
            return Claim.Marked;
        }

        if (earlierLayout)
        {
            return Claim.EarlierLayout;
        }

        var entries = Directory.EnumerateFileSystemEntries(Root).Select(Path.GetFileName).Take(4).ToList();
        return entries.Count == 0
            ? Claim.Empty
            : throw new LocalPostgresException(
                $"The data directory '{Root}' already holds files the app did not make ({string.Join(", ", entries.Take(3))}{(entries.Count > 3 ? ", …" : "")}), so the app will not use it. {nothingChanged} " +
                $"Fix: set {_setting} to a new or empty directory (the app makes it).");
    }

    /// <summary>
    /// Data made before the marker existed: its folder may belong to the server account, which could then have put
    /// links among the app's own files. The folder is taken back first (from then on only this user writes in it),
    /// then every app file that is a link or not this user's own is removed: the lock and holder are made again, a
    /// removed password verifier is written again once the server has accepted the password.
    /// </summary>
    private void AdoptEarlierLayout()
    {
        if (FileOwner.Of(Root) is { } owner && owner.UserId != ServerAccount.CurrentUserId)
        {
            ServerAccount.TakeBack(Root);
        }

        foreach (var path in s_appFiles.Select(name => Path.Combine(Root, name)))
        {
            if (FileOwner.Of(path) is { } file && (file.IsSymbolicLink || file.UserId != ServerAccount.CurrentUserId))
            {
                File.Delete(path); // unlinks the entry itself, never what a link points to
            }
        }
    }

    /// <summary>
    /// Writes a new file in this integration's own folder with <paramref name="mode"/> set as it is created: an entry
    /// left there (a file, a link) is removed first, and the create refuses to follow a link.
    /// </summary>
    internal static void WriteNew(string path, string contents, UnixFileMode mode, Action<FileStream>? beforeWrite = null)
    {
        File.Delete(path);
        using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode });
        beforeWrite?.Invoke(stream);
        using var writer = new StreamWriter(stream);
        writer.Write(contents);
    }

    /// <summary>A unix socket path holds at most 107 bytes; PostgreSQL's is the socket directory plus "/.s.PGSQL.nnnnn".</summary>
    internal void EnsureSocketPathFits()
    {
        const int maxSocketPath = 107;
        var socketPath = Path.Combine(SocketDirectory, ".s.PGSQL.65535");
        if (System.Text.Encoding.UTF8.GetByteCount(socketPath) > maxSocketPath)
        {
            throw new LocalPostgresException(
                $"The data directory '{Root}' is too long a path for the server's unix socket ({socketPath.Length} of at most {maxSocketPath} characters). " +
                $"Fix: set {_setting} to a shorter path.");
        }
    }

    /// <summary>The server running on this data, if any: its postmaster's pid, command line and port.</summary>
    internal RunningServer? FindRunningServer(ServerAccount account) =>
        PostmasterPidFile.ReadPid(PidFile) is { } pid && ServerProcesses.IsServerOn(pid, PgData, account)
            ? new RunningServer(pid, ServerProcesses.CommandLineOf(pid), PostmasterPidFile.ReadPort(PidFile))
            : null;

    /// <summary>
    /// Waits, bounded, until no process of an earlier server runs on this data any more. A postmaster that was killed
    /// leaves its children (checkpointer, background writer, backends) running until they notice, and they keep its
    /// shared memory attached: a new server started before they have gone refuses to start ("pre-existing shared
    /// memory block is still in use"). They are found by their working directory, which every server process sets
    /// to PGDATA. Returns how many there were.
    /// </summary>
    internal async Task<int> WaitForOrphanedServerProcessesAsync(ServerAccount account, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var orphans = ServerProcesses.On(PgData, account);
        var left = orphans;
        if (orphans.Count > 0 && !await ServerProcesses.PollUntilAsync(() => (left = ServerProcesses.On(PgData, account)).Count == 0, timeout, cancellationToken))
        {
            throw new LocalPostgresException(
                $"Processes of an earlier postgres server (process {string.Join(", ", left)}) still run on '{PgData}' {timeout.TotalSeconds:0} s after it ended. " +
                $"Fix: stop them (kill -QUIT {string.Join(' ', left)}), then start again.");
        }

        return orphans.Count;
    }

    /// <summary>
    /// Called while this AppHost holds the data lock, so a server running on this data with this app's socket
    /// directory can only be this app's: the last run still shutting down, one left behind when an AppHost and its
    /// orchestrator were killed together, or a kept-running server this run does not adopt. It gets a fast shutdown
    /// and is waited for. A server that was started some other way (by hand, with another socket directory) is not
    /// this app's to stop, and is refused.
    /// </summary>
    internal async Task StopLeftoverServerAsync(RunningServer leftover, ServerAccount account, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!IsTheAppsOwn(leftover))
        {
            throw NotTheAppsServer(leftover, "it was left alone");
        }

        await StopServerAsync(account, timeout, cancellationToken);
    }

    /// <summary>A server is the app's own when it uses the app's private socket folder, as every server the app starts does.</summary>
    private bool IsTheAppsOwn(RunningServer server) => server.CommandLine.Contains($"unix_socket_directories={SocketDirectory}");

    private LocalPostgresException NotTheAppsServer(RunningServer server, string what) =>
        new($"A postgres server that the app did not start (process {server.Pid}) runs on '{PgData}'; {what}. " +
            $"Fix: stop it (pg_ctl stop -D '{PgData}', or kill -INT {server.Pid}), or set {_setting} to another directory.");

    internal sealed record RunningServer(int Pid, IReadOnlyList<string> CommandLine, int? Port)
    {
        public bool IsPersistent => CommandLine.Contains(LocalPostgresServerResource.PersistentMarker);
    }

    public LocalPostgresDataState Inspect()
    {
        if (File.Exists(InitializingMarker))
        {
            return LocalPostgresDataState.HalfInitialized;
        }

        if (File.Exists(Path.Combine(PgData, "PG_VERSION")))
        {
            return LocalPostgresDataState.Initialized;
        }

        return Directory.Exists(PgData) && Directory.EnumerateFileSystemEntries(PgData).Any()
            ? LocalPostgresDataState.Foreign
            : LocalPostgresDataState.Empty;
    }

    /// <summary>
    /// Gives the server running on this data, if any, a fast shutdown (SIGINT: what <c>pg_ctl stop -m fast</c> and the
    /// official image's STOPSIGNAL send: sessions are ended, a checkpoint is written) and waits, bounded, until it has
    /// exited; returns its pid. DCP's own stop is SIGTERM, a "smart" shutdown that waits for every client to leave,
    /// and DCP kills the server outright when that takes more than a few seconds. The pid comes from a file the
    /// server account writes, so it is signalled only once it is seen to be this data's server, run by that account,
    /// and the app's own (one started by hand on the data is left running).
    /// </summary>
    internal async Task<int?> StopServerAsync(ServerAccount account, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // One someone started by hand (another socket folder) is theirs: never stopped, whatever else the app does.
        if (FindRunningServer(account) is not { } running || !IsTheAppsOwn(running))
        {
            return null;
        }

        var pid = running.Pid;
        try
        {
            ServerAccount.SignalFastShutdown(pid);
        }
        catch (LocalPostgresException) when (!ServerProcesses.IsPostgresRunning(pid))
        {
            return pid; // it exited between the look and the signal
        }

        if (!await ServerProcesses.WaitForExitAsync(pid, timeout, cancellationToken))
        {
            throw new LocalPostgresException(
                $"The postgres server (process {pid}) did not stop within {timeout.TotalSeconds:0} s of a fast shutdown. Fix: stop it (kill -QUIT {pid}), then start again.");
        }

        return pid;
    }

    /// <summary>
    /// The step up to a fast shutdown for the app's own server on this data, if one runs: for a stop that DCP began
    /// with SIGTERM, which PostgreSQL takes as a "smart" shutdown that waits for every client to leave (DCP then kills
    /// the server). The step up waits until the server has taken DCP's signal (its postmaster.pid says "stopping"):
    /// a server that ended before DCP's signal reached it would fail DCP's stop ("process not found").
    /// </summary>
    /// <exception cref="LocalPostgresException">The server was not signalled: DCP's own stop goes on.</exception>
    internal async Task HurryShutdownAsync(ServerAccount account, TimeSpan bound, CancellationToken cancellationToken)
    {
        if (FindRunningServer(account) is not { } running || !IsTheAppsOwn(running))
        {
            return;
        }

        if (!await PostmasterPidFile.WaitUntilStoppingAsync(PidFile, running.Pid, bound, cancellationToken))
        {
            if (ServerProcesses.IsPostgresRunning(running.Pid))
            {
                throw new LocalPostgresException($"the server (process {running.Pid}) had not taken DCP's stop signal within {bound.TotalSeconds:0} s");
            }

            return; // it ended by itself
        }

        try
        {
            ServerAccount.SignalFastShutdown(running.Pid);
        }
        catch (LocalPostgresException) when (!ServerProcesses.IsPostgresRunning(running.Pid))
        {
            // It finished its shutdown between the look and the signal.
        }
    }

    /// <summary>
    /// Throws away what a first start makes (PGDATA and the password verifier), after the server has stopped, marked
    /// unfinished while it goes, so that an interruption leaves data the next start initializes again. Nothing else in
    /// <see cref="Root"/> is touched (the lock, a file the user put there).
    /// </summary>
    internal async Task ThrowAwayAsync(ServerAccount account, ILogger log, CancellationToken cancellationToken)
    {
        if (!IsMarked)
        {
            throw new LocalPostgresException($"'{Root}' does not carry the app's marker, so nothing in it was deleted. Fix: reset only data the app made.");
        }

        if (FindRunningServer(account) is { } running)
        {
            throw NotTheAppsServer(running, "nothing was deleted");
        }

        WriteNew(InitializingMarker, $"reset started {DateTimeOffset.UtcNow:O}{Environment.NewLine}", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await DeleteServerTreeAsync(account, PgData, log, cancellationToken);
        File.Delete(PasswordVerifierFile);
        File.Delete(InitializingMarker);
    }

    /// <summary>Deletes throwaway data, after the server has stopped (see <see cref="StopServerAsync"/>).</summary>
    internal async Task DeleteAsync(ServerAccount account, ILogger log, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Root) || !IsMarked)
        {
            return;
        }

        await DeleteServerTreeAsync(account, PgData, log, cancellationToken);
        await DeleteServerTreeAsync(account, SocketDirectory, log, cancellationToken);
        Directory.Delete(Root, recursive: true); // what is left is the AppHost user's own
    }

    /// <summary>
    /// Deletes a folder the server account owns. Its contents are deleted by that account itself (<c>find -delete</c>,
    /// which never follows a link), so a link planted inside can lead nowhere the account could not already write;
    /// then the empty folder is removed from this integration's own folder.
    /// </summary>
    internal static async Task DeleteServerTreeAsync(ServerAccount account, string path, ILogger log, CancellationToken cancellationToken)
    {
        if (FileOwner.Of(path) is not { } entry)
        {
            return;
        }

        if (entry.IsDirectory)
        {
            var result = await account.RunToolAsync("/usr/bin/find", [path, "-mindepth", "1", "-delete"], log, cancellationToken);
            if (!result.Succeeded)
            {
                throw new LocalPostgresException($"Could not delete '{path}' (find exit code {result.ExitCode}): {result.Errors.Trim()} Fix: see the resource's log, then try again.");
            }

            Directory.Delete(path);
        }
        else
        {
            File.Delete(path);
        }
    }

    /// <summary>The PostgreSQL major version that created the data, or null before initdb.</summary>
    public string? ServerVersion()
    {
        var path = Path.Combine(PgData, "PG_VERSION");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}

internal enum LocalPostgresDataState
{
    /// <summary>No data yet: the next start runs initdb and the seed scripts.</summary>
    Empty,

    /// <summary>Kept data: the next start only starts the server.</summary>
    Initialized,

    /// <summary>A first start that did not finish (a failed seed script, a kill): re-initialized on the next start.</summary>
    HalfInitialized,

    /// <summary>Files in PGDATA that the app did not create: never touched.</summary>
    Foreign,
}

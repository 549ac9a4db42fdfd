namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>
/// The files of one local server, all under one root:
/// <c>pgdata/</c> (PGDATA), <c>socket/</c> (the private unix-socket directory), <c>password.verifier</c>
/// (see <see cref="PasswordVerifier"/>) and, only while a first
/// start is unfinished, the <c>initializing</c> marker. A directory with that marker was left half-initialized by
/// HelloAspire itself, so it may be re-initialized; nothing else is ever deleted.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalPostgresDataDirectory(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string PgData => Path.Combine(Root, "pgdata");

    public string SocketDirectory => Path.Combine(Root, "socket");

    internal string InitializingMarker => Path.Combine(Root, "initializing");

    internal string PidFile => Path.Combine(PgData, "postmaster.pid");

    internal string PasswordVerifierFile => Path.Combine(Root, "password.verifier");

    /// <summary>A unix socket path holds at most 107 bytes; PostgreSQL's is the socket directory plus "/.s.PGSQL.nnnnn".</summary>
    internal void EnsureSocketPathFits()
    {
        const int maxSocketPath = 107;
        var socketPath = Path.Combine(SocketDirectory, ".s.PGSQL.65535");
        if (System.Text.Encoding.UTF8.GetByteCount(socketPath) > maxSocketPath)
        {
            throw new LocalPostgresException(
                $"The data directory '{Root}' is too long a path for the server's unix socket ({socketPath.Length} of at most {maxSocketPath} characters). " +
                "Fix: set Postgres:DataDirectory to a shorter path.");
        }
    }

    /// <summary>The server running on this data, if any: its postmaster's pid, command line and port.</summary>
    internal RunningServer? FindRunningServer() =>
        PostmasterPidFile.ReadPid(PidFile) is { } pid && PostmasterPidFile.IsPostgresRunning(pid)
            ? new RunningServer(pid, CommandLineOf(pid), PostmasterPidFile.ReadPort(PidFile))
            : null;

    /// <summary>
    /// Waits, bounded, until no process of an earlier server runs on this data any more. A postmaster that was killed
    /// leaves its children (checkpointer, background writer, backends) running until they notice, and they keep its
    /// shared memory attached: a new server started before they have gone refuses to start ("pre-existing shared
    /// memory block is still in use"). They are found by their working directory, which every server process sets
    /// to PGDATA. Returns how many there were.
    /// </summary>
    internal async Task<int> WaitForOrphanedServerProcessesAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var orphans = OrphanedServerProcesses();
        var left = orphans;
        if (orphans.Count > 0 && !await PostmasterPidFile.PollUntilAsync(() => (left = OrphanedServerProcesses()).Count == 0, timeout, cancellationToken))
        {
            throw new LocalPostgresException(
                $"Processes of an earlier postgres server (process {string.Join(", ", left)}) still run on '{PgData}' {timeout.TotalSeconds:0} s after it ended. " +
                $"Fix: stop them (kill -QUIT {string.Join(' ', left)}), then start again.");
        }

        return orphans.Count;
    }

    private List<int> OrphanedServerProcesses()
    {
        var orphans = new List<int>();
        if (!Directory.Exists("/proc"))
        {
            return orphans; // macOS: no /proc to look in; a server that refuses to start still says why in its log
        }

        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(process), out var pid) && PostmasterPidFile.IsPostgresRunning(pid) && WorkingDirectoryOf(pid) == PgData)
            {
                orphans.Add(pid);
            }
        }

        return orphans;
    }

    private static string? WorkingDirectoryOf(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // it exited, or is not ours to look at
        }
    }

    /// <summary>
    /// Called while this AppHost holds the data lock, so a server running on this data with this app's socket
    /// directory can only be this app's: the last run still shutting down, one left behind when an AppHost and its
    /// orchestrator were killed together, or a kept-running server this run does not adopt. It gets a fast shutdown
    /// and is waited for. A server that was started some other way (by hand, with another socket directory) is not
    /// this app's to stop, and is refused.
    /// </summary>
    internal async Task StopLeftoverServerAsync(RunningServer leftover, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!leftover.CommandLine.Contains($"unix_socket_directories={SocketDirectory}"))
        {
            throw new LocalPostgresException(
                $"A postgres server that HelloAspire did not start (process {leftover.Pid}) runs on '{PgData}'; it was left alone. " +
                $"Fix: stop it (pg_ctl stop -D '{PgData}', or kill -INT {leftover.Pid}), or set Postgres:DataDirectory to another directory.");
        }

        await StopServerAsync(timeout, cancellationToken);
    }

    private static string[] CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Split('\0'); // NUL-terminated arguments
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return []; // it exited
        }
    }

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
    /// and DCP kills the server outright when that takes more than a few seconds.
    /// </summary>
    internal async Task<int?> StopServerAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (PostmasterPidFile.ReadPid(PidFile) is not { } pid || !PostmasterPidFile.IsPostgresRunning(pid))
        {
            return null;
        }

        try
        {
            ServerAccount.SignalFastShutdown(pid);
        }
        catch (LocalPostgresException) when (!PostmasterPidFile.IsPostgresRunning(pid))
        {
            return pid; // it exited between the look and the signal
        }

        if (!await PostmasterPidFile.WaitForExitAsync(pid, timeout, cancellationToken))
        {
            throw new LocalPostgresException(
                $"The postgres server (process {pid}) did not stop within {timeout.TotalSeconds:0} s of a fast shutdown. Fix: stop it (kill -QUIT {pid}), then start again.");
        }

        return pid;
    }

    /// <summary>
    /// Throws away what a first start makes (PGDATA and the password verifier), after the server has stopped, marked
    /// unfinished while it goes, so that an interruption leaves data the next start initializes again. Nothing else in
    /// <see cref="Root"/> is touched (the lock, a file the user put there).
    /// </summary>
    internal void ThrowAway()
    {
        File.WriteAllText(InitializingMarker, $"reset started {DateTimeOffset.UtcNow:O}{Environment.NewLine}");
        if (Directory.Exists(PgData))
        {
            Directory.Delete(PgData, recursive: true);
        }

        File.Delete(PasswordVerifierFile);
        File.Delete(InitializingMarker);
    }

    /// <summary>Deletes throwaway data, after the server has stopped (see <see cref="StopServerAsync"/>).</summary>
    internal void Delete()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    /// <summary>The PostgreSQL major version that created the data, or null before initdb.</summary>
    public string? ServerVersion()
    {
        var path = Path.Combine(PgData, "PG_VERSION");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}

public enum LocalPostgresDataState
{
    /// <summary>No data yet: the next start runs initdb and the seed scripts.</summary>
    Empty,

    /// <summary>Kept data: the next start only starts the server.</summary>
    Initialized,

    /// <summary>A first start that did not finish (a failed seed script, a kill): re-initialized on the next start.</summary>
    HalfInitialized,

    /// <summary>Files HelloAspire did not create: never touched.</summary>
    Foreign,
}

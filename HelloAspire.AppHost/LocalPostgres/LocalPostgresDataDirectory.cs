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

    internal string PasswordFile => Path.Combine(Root, "initdb.pwfile");

    internal string PidFile => Path.Combine(PgData, "postmaster.pid");

    internal string PasswordVerifierFile => Path.Combine(Root, "password.verifier");

    internal string LockFile => Path.Combine(Root, "apphost.lock");

    /// <summary>
    /// Takes the data for this AppHost (an exclusive advisory lock, held until it exits), so that a second AppHost on
    /// the same data fails at once, before it could touch a directory the first one is initializing or serving.
    /// </summary>
    internal FileStream Lock()
    {
        try
        {
            var lockFile = new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            lockFile.SetLength(0);
            lockFile.Write(System.Text.Encoding.UTF8.GetBytes($"{Environment.ProcessId}\n"));
            lockFile.Flush();
            return lockFile;
        }
        catch (IOException ex)
        {
            throw new LocalPostgresException(
                $"The data in '{Root}' is in use by another AppHost (process {LockHolder()}); it was not touched. " +
                "Fix: stop that AppHost first, or give this one its own Postgres:DataDirectory.", ex);
        }
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
                "Fix: set Postgres:DataDirectory to a shorter path.");
        }
    }

    /// <summary>The pid the holding AppHost wrote; read without taking the lock (FileShare.ReadWrite asks for none).</summary>
    private string LockHolder()
    {
        try
        {
            using var reader = new StreamReader(new FileStream(LockFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            return reader.ReadToEnd().Trim();
        }
        catch (IOException ex)
        {
            return $"unknown: {ex.Message}";
        }
    }

    /// <summary>
    /// A server of an earlier run that is still shutting down (DCP stops it just after its AppHost exits) holds
    /// postmaster.pid: wait a little for it; a stale file of a dead server is left to PostgreSQL, which replaces it.
    /// </summary>
    internal async Task WaitForEarlierServerToExitAsync(CancellationToken cancellationToken)
    {
        if (PostmasterPidFile.ReadPid(PidFile) is not { } pid || !IsPostgres(pid))
        {
            return;
        }

        try
        {
            using var earlier = System.Diagnostics.Process.GetProcessById(pid);
            await earlier.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (ArgumentException)
        {
            // It exited in the meantime.
        }
        catch (TimeoutException ex)
        {
            throw new LocalPostgresException(
                $"A postgres server (process {pid}) still runs on '{PgData}'. Fix: stop it (kill -INT {pid}), or use another Postgres:DataDirectory.", ex);
        }
    }

    private static bool IsPostgres(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() is "postgres" or "postmaster";
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false; // no such process
        }
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
    /// Gives a server still running on this data a fast shutdown (SIGINT: what <c>pg_ctl stop -m fast</c> sends) and
    /// waits, bounded, for it to exit. Used when the AppHost stops, so that it never exits before its server.
    /// </summary>
    internal void StopServer(TimeSpan timeout)
    {
        if (PostmasterPidFile.ReadPid(PidFile) is not { } pid || !IsPostgres(pid))
        {
            return;
        }

        try
        {
            using var server = System.Diagnostics.Process.GetProcessById(pid);
            ServerAccount.SignalFastShutdown(pid);
            server.WaitForExit(timeout);
        }
        catch (ArgumentException)
        {
            // It exited in the meantime.
        }
    }

    /// <summary>Deletes throwaway data, after the server has stopped (see <see cref="StopServer"/>).</summary>
    internal void Delete()
    {
        StopServer(TimeSpan.FromSeconds(10));
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

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
    /// Deletes throwaway data once the AppHost has stopped: the server (if DCP has not stopped it yet) gets a fast
    /// shutdown first, so that nothing is deleted under a running server.
    /// </summary>
    internal void Delete()
    {
        if (PostmasterPidFile.ReadPid(PidFile) is { } pid)
        {
            try
            {
                using var server = System.Diagnostics.Process.GetProcessById(pid);
                ServerAccount.SignalFastShutdown(pid);
                server.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (ArgumentException)
            {
                // Not running any more: a stale postmaster.pid.
            }
        }

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

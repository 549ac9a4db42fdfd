namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>
/// postmaster.pid: line 1 the pid, 3 the start time, 4 the port, 5 the socket directory, 8 the status, which turns
/// to "ready" once the server accepts connections (what <c>pg_ctl -w</c> watches).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class PostmasterPidFile
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan s_shutdownPollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Waits until a server started at or after <paramref name="startedAt"/> (or the adopted server
    /// <paramref name="adoptedPid"/>, started by an earlier run) is ready, or <paramref name="serverExited"/> completes
    /// first. A killed server leaves its file behind, still saying "ready", and its start time has a
    /// resolution of one second, so the file counts only while its postmaster is alive: otherwise a restart within a
    /// second or two would take the dead server's socket for the new one's (which the new server is just replacing).
    /// </summary>
    public static async Task<(int Pid, int Port, string SocketDirectory)> WaitUntilReadyAsync(
        LocalPostgresDataDirectory data, ServerAccount account, DateTimeOffset startedAt, int? adoptedPid, Task serverExited, CancellationToken cancellationToken)
    {
        var notBefore = startedAt.ToUnixTimeSeconds() - 1;
        while (true)
        {
            if (TryRead(data.PidFile) is { Length: >= 8 } lines
                && int.TryParse(lines[0], out var pid)
                && (pid == adoptedPid || long.TryParse(lines[2], out var startTime) && startTime >= notBefore)
                && lines[7].Trim() == "ready"
                && int.TryParse(lines[3], out var port)
                && IsServerOn(pid, data.PgData, account))
            {
                return (pid, port, lines[4]);
            }

            if (serverExited.IsCompleted)
            {
                throw new LocalPostgresException("The postgres server exited before it was ready. Fix: see the errors just above in its log.");
            }

            await Task.Delay(s_pollInterval, cancellationToken);
        }
    }

    /// <summary>
    /// Runs while the server <paramref name="pid"/> does. DCP stops a process with SIGTERM, which PostgreSQL takes as a
    /// "smart" shutdown: it waits until every client has disconnected, and DCP kills the server (SIGKILL) when that
    /// takes more than a few seconds. A killed server leaves its children, its shared memory, postmaster.pid and its
    /// socket behind, on the port DCP gives the next start too. So once the server says it is stopping, it gets
    /// SIGINT, which PostgreSQL takes as the step up to a fast shutdown (as <c>pg_ctl stop -m fast</c> and the official
    /// image's STOPSIGNAL): whoever asked for the stop (the dashboard, <c>aspire resource postgres stop</c>, the AppHost's
    /// end), DCP starts and sees it as usual.
    /// </summary>
    public static async Task MakeShutdownFastAsync(LocalPostgresDataDirectory data, ServerAccount account, int pid, CancellationToken cancellationToken)
    {
        var expectedPid = pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        while (!cancellationToken.IsCancellationRequested && IsServerOn(pid, data.PgData, account))
        {
            if (TryRead(data.PidFile) is { Length: >= 8 } lines && lines[0].Trim() == expectedPid && lines[7].Trim() == "stopping")
            {
                try
                {
                    ServerAccount.SignalFastShutdown(pid);
                }
                catch (LocalPostgresException) when (!IsPostgresRunning(pid))
                {
                    // It finished its shutdown between the look and the signal: nothing left to hurry.
                }

                return;
            }

            await Task.Delay(s_shutdownPollInterval, CancellationToken.None);
        }
    }

    public static int? ReadPort(string path) =>
        TryRead(path) is { Length: >= 4 } lines && int.TryParse(lines[3], out var port) ? port : null;

    public static int? ReadPid(string path) =>
        TryRead(path) is { Length: >= 1 } lines && int.TryParse(lines[0], out var pid) ? pid : null;

    /// <summary>
    /// True while <paramref name="pid"/> is a running PostgreSQL process: not another process that reuses a dead
    /// server's pid, and not a zombie. A kept-running server outlives its AppHost and is then a child of init, and
    /// some containers' init never reaps: its pid stays, with state Z, after it has exited.
    /// </summary>
    public static bool IsPostgresRunning(int pid)
    {
        try
        {
            // "pid (comm) state ...": comm may hold spaces and parentheses, so the state follows the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            return open >= 0 && close > open && close + 2 < stat.Length
                && stat[(open + 1)..close] is "postgres" or "postmaster"
                && stat[close + 2] is not ('Z' or 'X');
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false; // no such process
        }
    }

    /// <summary>
    /// True while <paramref name="pid"/> is a PostgreSQL process of the server on <paramref name="pgData"/>: run by the
    /// server account, with PGDATA as its working directory (every server process sets it). A pid read from a file the
    /// server account writes (postmaster.pid) is signalled only after this check.
    /// </summary>
    public static bool IsServerOn(int pid, string pgData, ServerAccount account) =>
        IsPostgresRunning(pid) && UserIdOf(pid) == account.UserId && WorkingDirectoryOf(pid) == pgData;

    /// <summary>The real user id of a process (/proc/&lt;pid&gt;/status, "Uid:"), or null when it is gone.</summary>
    private static uint? UserIdOf(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").FirstOrDefault(line => line.StartsWith("Uid:", StringComparison.Ordinal)) is { } line
                && uint.TryParse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], out var uid)
                    ? uid
                    : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // it exited
        }
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

    /// <summary>Waits until <paramref name="pid"/> is no longer a running server (see <see cref="IsPostgresRunning"/>); false when <paramref name="timeout"/> passed first.</summary>
    public static Task<bool> WaitForExitAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken) =>
        PollUntilAsync(() => !IsPostgresRunning(pid), timeout, cancellationToken);

    /// <summary>
    /// Checks <paramref name="done"/> every 20 ms until it holds (true) or <paramref name="timeout"/> has passed (false):
    /// for what no event announces, such as the end of a process that is not this one's child.
    /// </summary>
    public static async Task<bool> PollUntilAsync(Func<bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!done())
        {
            if (DateTimeOffset.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(s_pollInterval, cancellationToken);
        }

        return true;
    }

    private static string[]? TryRead(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null; // not written yet, or being rewritten: the next poll sees it
        }
    }
}

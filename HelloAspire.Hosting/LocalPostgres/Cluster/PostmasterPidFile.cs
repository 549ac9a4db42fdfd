using HelloAspire.Hosting.LocalPostgres.Unix;

namespace HelloAspire.Hosting.LocalPostgres.Cluster;

/// <summary>
/// postmaster.pid: line 1 the pid, 3 the start time, 4 the port, 5 the socket directory, 8 the status, which turns
/// to "ready" once the server accepts connections (what <c>pg_ctl -w</c> watches).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class PostmasterPidFile
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Waits until a server started at or after <paramref name="startedAt"/> (or the adopted server
    /// <paramref name="adoptedPid"/>, started by an earlier run) is ready, or <paramref name="serverExited"/> completes
    /// first. A killed server leaves its file behind, still saying "ready", and the file's start time is in whole
    /// seconds, so the file counts only while its postmaster is alive: a restart within a second would otherwise take
    /// the dead server's socket for the new one's.
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
                && ServerProcesses.IsServerOn(pid, data.PgData, account))
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
    /// Waits until the server <paramref name="pid"/> says "stopping" (it has taken a shutdown signal); false when it
    /// ends first, or the bound passes.
    /// </summary>
    public static async Task<bool> WaitUntilStoppingAsync(string path, int pid, TimeSpan bound, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + bound;
        while (ServerProcesses.IsPostgresRunning(pid) && DateTimeOffset.UtcNow < deadline)
        {
            if (TryRead(path) is { Length: >= 8 } lines && lines[0].Trim() == pid.ToString(System.Globalization.CultureInfo.InvariantCulture) && lines[7].Trim() == "stopping")
            {
                return true;
            }

            await Task.Delay(s_pollInterval, cancellationToken);
        }

        return false;
    }

    public static int? ReadPort(string path) =>
        TryRead(path) is { Length: >= 4 } lines && int.TryParse(lines[3], out var port) ? port : null;

    public static int? ReadPid(string path) =>
        TryRead(path) is { Length: >= 1 } lines && int.TryParse(lines[0], out var pid) ? pid : null;

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

namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>
/// postmaster.pid: line 1 the pid, 3 the start time, 4 the port, 5 the socket directory, 8 the status, which turns
/// to "ready" once the server accepts connections (what <c>pg_ctl -w</c> watches).
/// </summary>
internal static class PostmasterPidFile
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Waits until a server started at or after <paramref name="startedAt"/> is ready (the start time tells it from
    /// a stale file of an earlier run), or <paramref name="serverExited"/> completes first.
    /// </summary>
    public static async Task<(int Port, string SocketDirectory)> WaitUntilReadyAsync(
        string path, DateTimeOffset startedAt, Task serverExited, CancellationToken cancellationToken)
    {
        var notBefore = startedAt.ToUnixTimeSeconds() - 1;
        while (true)
        {
            if (TryRead(path) is { Length: >= 8 } lines
                && long.TryParse(lines[2], out var startTime) && startTime >= notBefore
                && lines[7].Trim() == "ready"
                && int.TryParse(lines[3], out var port))
            {
                return (port, lines[4]);
            }

            if (serverExited.IsCompleted)
            {
                throw new LocalPostgresException("The postgres server exited before it was ready. Fix: see the errors just above in its log.");
            }

            await Task.Delay(s_pollInterval, cancellationToken);
        }
    }

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

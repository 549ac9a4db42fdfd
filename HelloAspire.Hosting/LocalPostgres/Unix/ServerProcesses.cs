namespace HelloAspire.Hosting.LocalPostgres.Unix;

/// <summary>
/// What /proc says of a PostgreSQL server's processes. A pid read from a file the server account writes
/// (postmaster.pid) is trusted, and signalled, only once these checks say it is that server's.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class ServerProcesses
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(20);

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
    /// server account, with PGDATA as its working directory (every server process sets it).
    /// </summary>
    public static bool IsServerOn(int pid, string pgData, ServerAccount account) =>
        IsPostgresRunning(pid) && UserIdOf(pid) == account.UserId && WorkingDirectoryOf(pid) == pgData;

    /// <summary>
    /// Every process of a server on <paramref name="pgData"/>: a killed postmaster's children (checkpointer,
    /// backends) run on until they notice, holding its shared memory. Empty on macOS, which has no /proc to look in.
    /// </summary>
    public static List<int> On(string pgData, ServerAccount account) =>
        Directory.Exists("/proc")
            ? [.. Directory.EnumerateDirectories("/proc")
                .Select(process => int.TryParse(Path.GetFileName(process), out var pid) ? pid : 0)
                .Where(pid => pid > 0 && IsServerOn(pid, pgData, account))]
            : [];

    /// <summary>A process's arguments (NUL-terminated in /proc), or none once it has exited.</summary>
    public static string[] CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Split('\0');
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return []; // it exited
        }
    }

    /// <summary>Waits until <paramref name="pid"/> is no longer a running server; false when <paramref name="timeout"/> passed first.</summary>
    public static Task<bool> WaitForExitAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken) =>
        PollUntilAsync(() => !IsPostgresRunning(pid), timeout, cancellationToken);

    /// <summary>
    /// Checks <paramref name="done"/> until it holds (true) or <paramref name="timeout"/> has passed (false): for what
    /// no event announces, such as the end of a process that is not this one's child.
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
}

namespace HelloAspire.Tests.Support;

/// <summary>The command lines of the machine's processes, from /proc, their arguments joined by spaces.</summary>
public static class ProcessCommandLines
{
    public static List<string> Read() => Of(_ => true);

    /// <summary>Those of the processes whose working directory is <paramref name="folder"/> (a PostgreSQL server's processes: its PGDATA).</summary>
    public static List<string> InFolder(string folder) => Of(dir => new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget == folder);

    /// <summary>
    /// The processes that run <paramref name="program"/> (a file name) with no arguments, the program itself, not a
    /// launcher on its way to it (env, setpriv), nor a run of it with arguments: each one's real user id and the names
    /// of its environment variables.
    /// </summary>
    public static List<(string UserId, string[] EnvironmentNames)> BareRunsOf(string program) =>
        Each<(string, string[])?>(dir =>
            File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries) is [var only] && Path.GetFileName(only) == program
            && File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(line => line.StartsWith("Uid:", StringComparison.Ordinal)) is { } uid
                ? (uid.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1],
                   File.ReadAllText(Path.Combine(dir, "environ")).Split('\0', StringSplitOptions.RemoveEmptyEntries).Select(v => v.Split('=', 2)[0]).ToArray())
                : null)
        .Select(run => run!.Value).ToList();

    private static List<string> Of(Func<string, bool> include) =>
        Each(dir => include(dir) ? File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ') : null).Select(line => line!).ToList();

    /// <summary>What <paramref name="read"/> finds in each process's /proc directory (null: nothing), skipping a process that ended while it was read.</summary>
    private static List<T> Each<T>(Func<string, T> read)
    {
        var found = new List<T>();
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
        {
            try
            {
                if (read(dir) is { } value)
                {
                    found.Add(value);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we read.
            }
        }

        return found;
    }
}

using System.Globalization;

namespace Aspire.Hosting;

/// <summary>
/// Aspire's orchestrator (DCP) as Linux's /proc shows it. DCP detaches from the AppHost it serves (its parent becomes
/// init) and watches that AppHost instead, so its processes are known by their <c>--monitor &lt;AppHost's pid&gt;</c>
/// argument, and its API server by <c>start-apiserver</c> besides.
/// </summary>
internal static class OrchestratorProcesses
{
    /// <summary>The processes of the orchestrator that serves <paramref name="appHost"/>; with <paramref name="apiServerOnly"/>, its API server alone.</summary>
    internal static IEnumerable<int> Of(int appHost, bool apiServerOnly = false)
    {
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(process), out var pid) && Serves(pid, appHost, apiServerOnly))
            {
                yield return pid;
            }
        }
    }

    /// <summary>Whether process <paramref name="pid"/> is (still) a process of the orchestrator that serves <paramref name="appHost"/>.</summary>
    internal static bool Serves(int pid, int appHost, bool apiServerOnly = false)
    {
        var arguments = ArgumentsOf(pid);
        var monitored = Array.IndexOf(arguments, "--monitor") is var at and >= 0 && at + 1 < arguments.Length ? arguments[at + 1] : null;
        return monitored == appHost.ToString(CultureInfo.InvariantCulture) && (!apiServerOnly || arguments.Contains("start-apiserver"));
    }

    /// <summary>A process's command line, split into its arguments; none when the process is gone.</summary>
    internal static string[] ArgumentsOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return []; // gone, ended meanwhile, or another user's process hidden by /proc's hidepid
        }
    }
}

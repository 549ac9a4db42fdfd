using System.Text.RegularExpressions;

namespace HelloAspire.Hosting.AppHostConsole;

/// <summary>
/// Which console lines are Aspire's bookkeeping; registered by
/// <see cref="Aspire.Hosting.AppHostConsoleExtensions.KeepAspireLinesOffTheConsole"/>, and its presence tells the
/// run-once echo to leave them out.
/// </summary>
/// <param name="dashboardWithoutLogin">
/// The dashboard lets anyone in (<c>ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS</c>): Aspire then logs no login line,
/// and its "Now listening on" line is the only one that gives the dashboard's address, so it stays.
/// </param>
internal sealed partial class AspireLines(bool dashboardWithoutLogin)
{
    // The two of Aspire's own informational lines that a user acts on, as Aspire's log templates word them.
    private static readonly HashSet<string> s_keptTemplates =
    [
        "Login to the dashboard at {LoginUrl}",
        "Distributed application started. Press Ctrl+C to shut down.",
    ];

    private const string ListeningTemplate = "Now listening on: {DashboardUrl}";

    // Aspire's own application logger: its start-up lines, and the login and started lines. Only this category: an
    // add-on's logger may be named after a type in Aspire's namespace too (this library's public face is there).
    private const string AspireCategory = "Aspire.Hosting.DistributedApplication";

    /// <summary>
    /// Whether an entry that Aspire's own logger writes is left off the console: informational ones only, so that
    /// Debug lines asked for by <c>Logging:LogLevel</c> still show.
    /// </summary>
    public bool IsLeftOut<TState>(string category, LogLevel level, TState state) =>
        level == LogLevel.Information
        && category == AspireCategory
        && !(state is IReadOnlyList<KeyValuePair<string, object?>> values
             && values.Any(v => v.Key == "{OriginalFormat}" && v.Value is string template && IsKept(template)));

    private bool IsKept(string template) => s_keptTemplates.Contains(template) || (dashboardWithoutLogin && template == ListeningTemplate);

    /// <summary>
    /// Whether a line of a resource's log is one Aspire added, not the program's output: the waits it writes before a
    /// start, a command run on it from the dashboard (a failed one still shows), and the orchestrator's own lines, which
    /// it marks "[sys]". A log line carries no other mark of its source.
    /// (The echo still shows such a line when it is an error: why a client could not start.)
    /// </summary>
    public static bool IsAddedToResourceLog(string line) => AddedToResourceLog().IsMatch(line);

    [GeneratedRegex(@"^(\[sys\] |Waiting for resource |Finished waiting for resource |No custom certificate authorities |Executing command '|Successfully executed command ')")]
    private static partial Regex AddedToResourceLog();
}

using System.Collections.Concurrent;
using System.Text;

namespace HelloAspire.Tests.Support;

/// <summary>
/// What a failing test leaves in its output, so that CI's log alone explains it: every AppHost console it ran, every
/// app's resources (their state history and log lines) and the last lines of each server's log. The support classes
/// add their sections as they go; the test's disposal writes them, only when the test failed (<c>./test.sh</c> prints
/// the output of each failed test before its summary).
/// </summary>
public sealed class FailureReport
{
    private static readonly ConcurrentDictionary<string, FailureReport> s_reports = new();
    private readonly ConcurrentQueue<(string Title, Func<CancellationToken, Task<string>> Read)> _sections = new();

    /// <summary>The current test's report; null outside a test.</summary>
    public static FailureReport? Current =>
        TestContext.Current.Test is { } test ? s_reports.GetOrAdd(test.UniqueID, _ => new FailureReport()) : null;

    /// <summary>A section read only if the report is written: <paramref name="read"/> says what it holds then.</summary>
    public void Add(string title, Func<CancellationToken, Task<string>> read) => _sections.Enqueue((title, read));

    public void Add(string title, Func<string> read) => Add(title, _ => Task.FromResult(read()));

    /// <summary>
    /// Writes every section to the test's output when the test did not pass (or its outcome is not known yet), once: the
    /// first disposal that asks (a test's <see cref="TestApps"/>, its <see cref="ContainerApp"/>, its own class) writes it.
    /// Each section gets a few seconds: a report must never hold up the test's cleanup for long.
    /// </summary>
    public static async Task WriteIfFailedAsync()
    {
        if (TestContext.Current.Test is not { } test || !s_reports.TryRemove(test.UniqueID, out var report)
            || TestContext.Current.TestState?.Result is TestResult.Passed or TestResult.Skipped)
        {
            return;
        }

        // A bound that ran out while the machine was overloaded reads like a hang: its load tells the two apart. Each is a
        // section of its own, so that a kernel without pressure accounting (which refuses that read) still gives the other.
        report.Add("The machine's load average as the report was written (1, 5 and 15 min, runnable/all, last pid)",
            () => $"{File.ReadAllText("/proc/loadavg").Trim()} on {Environment.ProcessorCount} cores");
        report.Add("The machine's CPU pressure as the report was written", () => File.ReadAllText("/proc/pressure/cpu").Trim());
        var text = new StringBuilder();
        text.AppendLine(CultureInfo, $"===== What the failed test saw ({report._sections.Count} sections) =====");
        foreach (var (title, read) in report._sections)
        {
            text.AppendLine(CultureInfo, $"----- {title} -----");
            try
            {
                using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                text.AppendLine((await read(bounded.Token)).TrimEnd());
            }
            catch (Exception ex)
            {
                text.AppendLine(CultureInfo, $"(could not be read: {ex.GetType().Name}: {ex.Message})");
            }
        }

        text.AppendLine("===== End of what the failed test saw =====");
        TestContext.Current.TestOutputHelper?.WriteLine(text.ToString());
    }

    private static IFormatProvider CultureInfo => System.Globalization.CultureInfo.InvariantCulture;
}

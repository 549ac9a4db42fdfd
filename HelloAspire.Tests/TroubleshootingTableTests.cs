using System.Text.RegularExpressions;

namespace HelloAspire.Tests;

/// <summary>
/// docs/troubleshooting.md promises, for each message, the test that makes it happen. Read as a newcomer reads it:
/// each test it names exists, and the source of one of them asserts a part of the message it stands beside (a run of
/// at least <see cref="SharedLength"/> characters of the message appears in it).
/// </summary>
public sealed partial class TroubleshootingTableTests
{
    private const int SharedLength = 18;

    private static string RepositoryRoot => Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, ".."));

    [Fact]
    public void EveryTestTheTableNamesExistsAndMakesItsMessageHappen()
    {
        var table = File.ReadAllLines(Path.Combine(RepositoryRoot, "docs", "troubleshooting.md"))
            .Where(line => line.StartsWith("| `", StringComparison.Ordinal) || line.StartsWith("| warning: `", StringComparison.Ordinal))
            .ToList();
        var sources = Directory.GetFiles(Path.Combine(RepositoryRoot, "HelloAspire.Tests"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToDictionary(path => Path.GetFileNameWithoutExtension(path), File.ReadAllText);
        var wrong = new List<string>();

        Assert.NotEmpty(table);
        foreach (var row in table)
        {
            var cells = row.Split(" | ");
            var tests = TestName().Matches(cells[^1]).Select(m => m.Value).Distinct().ToList();
            if (tests.Count == 0)
            {
                continue; // a row with no test says so ("—"), or names a session's measurement
            }

            // The message is the longest quoted text of its cell (a cell may quote a setting too).
            var message = Code().Matches(cells[0]).Select(m => m.Groups["text"].Value).MaxBy(text => text.Length) ?? "";
            var missing = tests.Where(test => !sources.ContainsKey(test)).ToList();
            var best = tests.Where(sources.ContainsKey).Select(test => (Test: test, Shared: LongestSharedRun(message, sources[test]))).MaxBy(t => t.Shared.Length);
            if (missing.Count > 0 || best.Shared is not { Length: >= SharedLength })
            {
                wrong.Add($"{message} → {string.Join(", ", tests)}: " + (missing.Count > 0 ? $"no test named {string.Join(", ", missing)}" : $"the most they share is '{best.Shared}'"));
            }
        }

        Assert.True(wrong.Count == 0, $"docs/troubleshooting.md names tests that do not make its messages happen:{Environment.NewLine}{string.Join(Environment.NewLine, wrong)}");
    }

    /// <summary>The longest run of characters the message and the source share.</summary>
    private static string LongestSharedRun(string message, string source)
    {
        var best = (Start: 0, Length: 0);
        var previous = new int[source.Length + 1];
        for (var i = 1; i <= message.Length; i++)
        {
            var current = new int[source.Length + 1];
            for (var j = 1; j <= source.Length; j++)
            {
                if (message[i - 1] == source[j - 1])
                {
                    current[j] = previous[j - 1] + 1;
                    if (current[j] > best.Length)
                    {
                        best = (i - current[j], current[j]);
                    }
                }
            }

            previous = current;
        }

        return message.Substring(best.Start, best.Length);
    }

    [GeneratedRegex(@"\b[A-Z][A-Za-z]+Tests\b")]
    private static partial Regex TestName();

    [GeneratedRegex(@"`(?<text>[^`]+)`")]
    private static partial Regex Code();
}

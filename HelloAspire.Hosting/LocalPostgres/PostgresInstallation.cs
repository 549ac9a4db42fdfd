using System.Diagnostics;
using HelloAspire.Hosting.Processes;

namespace Aspire.Hosting;

/// <summary>A directory holding the PostgreSQL server binaries (postgres, initdb, psql).</summary>
public sealed record PostgresInstallation(string BinDirectory)
{
    /// <summary>Where Debian and Ubuntu put each major version's server binaries.</summary>
    public const string DebianSearchPattern = "/usr/lib/postgresql/*/bin";

    private static readonly string[] s_requiredTools = ["postgres", "initdb", "psql"];
    private static readonly TimeSpan s_pgConfigTimeout = TimeSpan.FromSeconds(10);

    public string Postgres => Path.Combine(BinDirectory, "postgres");

    public string InitDb => Path.Combine(BinDirectory, "initdb");

    public string Psql => Path.Combine(BinDirectory, "psql");

    /// <summary>
    /// Finds the server binaries: an explicit directory (which must be complete), else the first complete one of
    /// <paramref name="candidates"/> (see <see cref="DefaultCandidates"/>). Returns null when there are none.
    /// </summary>
    /// <param name="explicitBinDirectory">The directory the user named, or null.</param>
    /// <param name="candidates">Where to look otherwise, in order.</param>
    /// <param name="setting">Where the user named it, for the error: a setting's name.</param>
    public static PostgresInstallation? Find(string? explicitBinDirectory, IEnumerable<string> candidates, string setting = "The bin directory")
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (!string.IsNullOrWhiteSpace(explicitBinDirectory))
        {
            var missing = MissingTools(explicitBinDirectory);
            return missing.Count == 0
                ? new PostgresInstallation(Path.GetFullPath(explicitBinDirectory))
                : throw new LocalPostgresException(
                    $"{setting} is '{explicitBinDirectory}', but it lacks {string.Join(", ", missing)}. " +
                    "Fix: point it at the directory that holds the server binaries (see 'pg_config --bindir'), or remove the setting to search the usual places.");
        }

        return candidates
            .Where(dir => MissingTools(dir).Count == 0)
            .Select(dir => new PostgresInstallation(dir))
            .FirstOrDefault();
    }

    /// <summary>Where to look, in order: <c>pg_config --bindir</c> (the PATH's PostgreSQL), then Debian's layout, newest first.</summary>
    public static IEnumerable<string> DefaultCandidates()
    {
        if (PgConfigBinDirectory() is { } fromPgConfig)
        {
            yield return fromPgConfig;
        }

        foreach (var binDirectory in Expand(DebianSearchPattern))
        {
            yield return binDirectory;
        }
    }

    /// <summary>
    /// The directories a pattern like <c>/usr/lib/postgresql/*/bin</c> names, highest major version first.
    /// Only the next-to-last segment may be a wildcard: enough for every packaging we know.
    /// </summary>
    public static IEnumerable<string> Expand(string pattern)
    {
        var root = Path.GetDirectoryName(Path.GetDirectoryName(pattern))!;
        var leaf = Path.GetFileName(pattern);
        var wildcard = Path.GetFileName(Path.GetDirectoryName(pattern))!;
        return Directory.Exists(root)
            ? Directory.GetDirectories(root, wildcard).OrderByDescending(MajorVersion).Select(versionDir => Path.Combine(versionDir, leaf))
            : [];
    }

    private static int MajorVersion(string versionDir) =>
        int.TryParse(Path.GetFileName(versionDir), out var major) ? major : -1;

    private static string? PgConfigBinDirectory()
    {
        if (ExecutablePath.Find("pg_config") is not { } pgConfig)
        {
            return null;
        }

        var result = ProcessRunner.Run(new ProcessStartInfo(pgConfig, "--bindir"), s_pgConfigTimeout);
        return result.Succeeded && result.Output.Trim() is { Length: > 0 } binDirectory ? binDirectory : null;
    }

    private static List<string> MissingTools(string binDirectory) =>
        [.. s_requiredTools.Where(tool => !File.Exists(Path.Combine(binDirectory, tool)))];
}

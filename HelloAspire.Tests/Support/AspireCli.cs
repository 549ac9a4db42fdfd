using System.Diagnostics;

namespace HelloAspire.Tests.Support;

/// <summary>
/// The Aspire CLI the repository pins (dotnet-tools.json, <c>dotnet tool restore</c>), run as <c>dotnet aspire …</c>
/// against the real AppHost, built as this test run was built (no second build: <c>--no-build</c>).
/// Every AppHost, the tests' own in-process ones too, announces itself to the CLI under the user's home directory,
/// keyed by its project, and the CLI acts on any of them: so the CLI and the AppHost it starts get a home of their
/// own (<paramref name="home"/>), where they see only each other. The NuGet cache and .NET's own files stay shared.
/// </summary>
public sealed class AspireCli(string home)
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(120);

    private bool _restored;

    private static string RepositoryRoot => Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, ".."));

    /// <summary>
    /// Runs <c>dotnet aspire</c> with <paramref name="arguments"/> (non-interactive, no logo, no colour); returns its
    /// exit code and output. <paramref name="environment"/> reaches the AppHost that <c>start</c> starts: a password
    /// goes there, as user secrets would give it, never on a command line.
    /// </summary>
    public async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (!_restored)
        {
            // Once per CLI: a plain `dotnet test` may not have run ./test.sh, which restores it.
            var restore = await RunDotnetAsync(["tool", "restore"], cancellationToken);
            if (restore.ExitCode != 0)
            {
                return restore;
            }

            _restored = true;
        }

        return await RunDotnetAsync(["aspire", .. arguments, "--apphost", Projects.HelloAspire_AppHost.ProjectPath, "--non-interactive", "--nologo"], cancellationToken, environment);
    }

    private async Task<(int ExitCode, string Output)> RunDotnetAsync(string[] arguments, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = RepositoryRoot,
        };
        var userHome = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        startInfo.Environment["HOME"] = home;
        startInfo.Environment["NUGET_PACKAGES"] = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(userHome, ".nuget", "packages");
        startInfo.Environment["DOTNET_CLI_HOME"] = Environment.GetEnvironmentVariable("DOTNET_CLI_HOME") ?? userHome;
        startInfo.Environment["ASPIRE_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment[AppHostProcess.VersionCheckDisabled] = "true";
        startInfo.Environment["NO_COLOR"] = "1";
        // --no-build runs the AppHost's existing build: the configuration this test run was built in (bin/<Configuration>/…).
        startInfo.Environment["Configuration"] = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var (exitCode, output, errors) = await BoundedProcess.RunAsync(startInfo, s_commandTimeout, cancellationToken);
        return (exitCode, output + errors);
    }
}

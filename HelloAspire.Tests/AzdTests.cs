using System.Diagnostics;
using System.Text.Json;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// What azd does with this repository, read from azd's own source (Azure/azure-dev at ae35809f4, cli/azd): where it
/// finds the AppHost, and which manifest each azd environment gets. azd itself is not installed here; these tests
/// follow its code.
/// </summary>
public sealed class AzdTests : IDisposable
{
    private static readonly TimeSpan s_publishTimeout = TimeSpan.FromSeconds(90);
    private readonly TemporaryDirectory _output = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string RepositoryRoot => Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, ".."));

    /// <summary>
    /// <c>azd up</c> reads the committed azure.yaml (no detection at all); <c>azd init</c> walks the tree as
    /// internal/appdetect does (appdetect.go detectUnder/walkDirectories, config.go newConfig): lexical order; skipped
    /// are <c>**/node_modules, **/[Tt]arget, **/[Oo]ut, **/[Dd]ist, **/[Bb]in, **/[oO]bj</c>, hidden folders two levels
    /// down (<c>*/.*</c>), and, from the root, <c>**/eng, **/tool, **/tools</c>; below a project nothing more is looked
    /// at; a project whose IsAspireHost is true is an AppHost (dotnet_apphost.go), and two of them stop azd init.
    /// </summary>
    [Fact]
    public void AzdFindsTheOneAppHostWhereAUserRunsIt()
    {
        var appHosts = new List<string>();
        Walk(RepositoryRoot, appHosts);

        var appHost = Assert.Single(appHosts);
        Assert.Equal(Path.Combine("HelloAspire.AppHost", "HelloAspire.AppHost.csproj"), Path.GetRelativePath(RepositoryRoot, appHost));
        var azureYaml = File.ReadAllLines(Path.Combine(RepositoryRoot, "azure.yaml")).Select(line => line.Trim()).ToList();
        Assert.Contains("project: ./HelloAspire.AppHost/HelloAspire.AppHost.csproj", azureYaml);
        Assert.Contains("language: dotnet", azureYaml);
        Assert.Contains("host: containerapp", azureYaml);
        Assert.Contains("azd: \">= 1.22.0\"", azureYaml);
    }

    /// <summary>
    /// azd makes the manifest anew for every provision, deploy and up, with <c>dotnet run --project … --publisher
    /// manifest</c> from the AppHost's folder, the launch profile applied, and DOTNET_ENVIRONMENT from the azd
    /// environment's .env (pkg/tools/dotnet/dotnet.go PublishAppHostManifest; pkg/project/dotnet_importer.go
    /// ReadManifest): that variable is the one thing of the azd environment the AppHost sees. So the database choice
    /// rides on it: set once per azd environment, every later command gets the same manifest, and the launch profile
    /// no longer overrides it.
    /// </summary>
    [Fact]
    public async Task TheDatabaseChoiceOfAnAzdEnvironmentHoldsForEveryManifestAzdMakes()
    {
        var managed = await ManifestAsAzdMakesItAsync(new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Managed" });
        var container = await ManifestAsAzdMakesItAsync(new Dictionary<string, string>());

        Assert.False(managed.TryGetProperty("postgres", out _), "an azd environment with DOTNET_ENVIRONMENT=Managed deploys no PostgreSQL container");
        Assert.Equal("parameter.v0", managed.GetProperty("hello").GetProperty("type").GetString());
        Assert.Equal("Seed", managed.GetProperty("seed").GetProperty("env").GetProperty("Hello__Task").GetString());
        Assert.Equal("container.v1", container.GetProperty("postgres").GetProperty("type").GetString());
        Assert.False(container.TryGetProperty("seed", out _));
    }

    private async Task<JsonElement> ManifestAsAzdMakesItAsync(Dictionary<string, string> environment)
    {
        var manifestPath = _output.Combine($"manifest-{Guid.NewGuid():N}.json");
        var appHostFolder = Projects.HelloAspire_AppHost.ProjectPath;
        var configuration = typeof(AzdTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
            .OfType<System.Reflection.AssemblyConfigurationAttribute>().Single().Configuration;
        // As azd runs it, but for --no-build (the suite has built it) and the configuration the suite built.
        var run = new ProcessStartInfo("dotnet", ["run", "--project", "HelloAspire.AppHost.csproj", "--no-build", "--configuration", configuration, "--publisher", "manifest", "--output-path", manifestPath])
        {
            WorkingDirectory = appHostFolder,
        };
        run.Environment.Remove("DOTNET_ENVIRONMENT");
        run.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        run.Environment["ASPIRE_SUPPRESS_CLI_RUN_HOOK"] = "true";
        foreach (var (name, value) in environment)
        {
            run.Environment[name] = value;
        }

        var (exitCode, output, errors) = await BoundedProcess.RunAsync(run, s_publishTimeout, Ct);
        Assert.True(exitCode == 0, $"the manifest run failed ({exitCode}): {output}{errors}");
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(manifestPath, Ct));
        return manifest.RootElement.GetProperty("resources").Clone();
    }

    private static readonly string[] s_skippedEverywhere = ["node_modules", "target", "out", "dist", "bin", "obj"];
    private static readonly string[] s_skippedFromTheRoot = ["eng", "tool", "tools"];

    private static void Walk(string directory, List<string> appHosts)
    {
        var projects = Directory.GetFiles(directory, "*.*proj").Where(p => p.EndsWith(".csproj", StringComparison.Ordinal) || p.EndsWith(".fsproj", StringComparison.Ordinal)).ToList();
        if (projects.Count > 0)
        {
            appHosts.AddRange(projects.Where(IsAspireHost));
            return; // azd looks at nothing below a project
        }

        foreach (var child in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(child);
            var relative = Path.GetRelativePath(RepositoryRoot, child);
            var twoLevelsDown = relative.Count(c => c == Path.DirectorySeparatorChar) == 1;
            if (s_skippedEverywhere.Contains(name, StringComparer.OrdinalIgnoreCase) || s_skippedFromTheRoot.Contains(name, StringComparer.Ordinal)
                || (twoLevelsDown && name.StartsWith('.')))
            {
                continue;
            }

            Walk(child, appHosts);
        }
    }

    /// <summary>
    /// What <c>dotnet msbuild -getProperty:IsAspireHost</c> answers, read from the project file: the Aspire AppHost SDK
    /// sets it (no project here sets it by hand, and this test would miss one that did: it reads the SDK's name).
    /// </summary>
    private static bool IsAspireHost(string project)
    {
        var text = File.ReadAllText(project);
        return text.Contains("Aspire.AppHost.Sdk", StringComparison.Ordinal) || text.Contains("<IsAspireHost>true</IsAspireHost>", StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose() => _output.Dispose();
}

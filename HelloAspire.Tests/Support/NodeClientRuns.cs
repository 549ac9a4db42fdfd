namespace HelloAspire.Tests.Support;

/// <summary>
/// The tests that run the Node.js client, one at a time: they share node-client/node_modules, which a fresh clone
/// lacks, and two AppHosts would each run <c>npm ci</c> into it at once. (Container mode's, in <see cref="ContainerRuns"/>,
/// install it first, through <see cref="EnsureInstalledAsync"/>.)
/// </summary>
[CollectionDefinition(Name)]
public sealed class NodeClientRuns
{
    public const string Name = "The Node.js client's runs";

    private static readonly SemaphoreSlim s_installing = new(1, 1);

    public static string Directory => Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "..", "node-client"));

    /// <summary>For a test that runs the client itself, not through the AppHost (which runs <c>npm ci</c> when node_modules is missing or stale).</summary>
    public static async Task EnsureInstalledAsync(CancellationToken cancellationToken)
    {
        await s_installing.WaitAsync(cancellationToken);
        try
        {
            if (NodeScriptExtensions.DependenciesAreInstalled(Directory))
            {
                return;
            }

            var (exitCode, _, errors) = await BoundedProcess.RunAsync(
                new System.Diagnostics.ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"]) { WorkingDirectory = Directory }, TimeSpan.FromMinutes(3), cancellationToken);
            Assert.True(exitCode == 0, $"npm ci in {Directory} failed: {errors}");
        }
        finally
        {
            s_installing.Release();
        }
    }
}

/// <summary>
/// Container mode's tests, one at a time: each drives DCP and Podman through container creation, networks and
/// volumes, which on a two-core machine took several times as long when four ran at once (a first start past its
/// bound). Together they are the suite's longest chain, so they start first, beside everything else.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ContainerRuns
{
    public const string Name = "Container mode's runs";
}

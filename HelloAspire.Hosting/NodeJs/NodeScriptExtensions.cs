using HelloAspire.Hosting.Processes;

namespace Aspire.Hosting;

/// <summary>
/// A Node.js program run with what Aspire.Hosting itself offers (Aspire's JavaScript hosting package is not used):
/// <c>node</c> as an executable, <c>npm ci</c> first when its dependencies are missing or older than its lockfile,
/// and its Dockerfile to publish.
/// </summary>
public static class NodeScriptExtensions
{
    /// <summary>Whether <c>node</c> is on the PATH, so that a script can run.</summary>
    public static bool IsNodeOnPath() => ExecutablePath.Find("node") is not null;

    /// <summary>
    /// Whether <paramref name="directory"/>'s node_modules holds what its package-lock.json names: npm writes its record
    /// of an install (node_modules/.package-lock.json) last, so a lockfile changed since (a pull that adds a package)
    /// is newer than that record, and a checkout that never installed has none.
    /// </summary>
    public static bool DependenciesAreInstalled(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var installed = new FileInfo(Path.Combine(directory, "node_modules", ".package-lock.json"));
        var locked = new FileInfo(Path.Combine(directory, "package-lock.json"));
        return installed.Exists && (!locked.Exists || installed.LastWriteTimeUtc >= locked.LastWriteTimeUtc);
    }

    /// <summary>
    /// Adds <c>node <paramref name="arguments"/></c> in <paramref name="directory"/>, after <c>npm ci</c> when its
    /// dependencies are missing or stale (<see cref="DependenciesAreInstalled"/>; a step shown under the program, hidden once it has completed), deployed as the
    /// image its Dockerfile builds: azd cannot run a host executable.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AddNodeScript(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, string directory, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (arguments.Length == 0)
        {
            throw new ArgumentException("Name the script to run, for example \"index.js\".", nameof(arguments));
        }

        var workingDirectory = Path.GetFullPath(directory, builder.AppHostDirectory);
        var script = builder.AddExecutable(name, "node", workingDirectory, arguments)
            .PublishAsDockerFile();

        if (builder.ExecutionContext.IsRunMode && !DependenciesAreInstalled(workingDirectory))
        {
            var install = builder.AddExecutable($"{name}-install", "npm", workingDirectory, "ci", "--no-audit", "--no-fund")
                .WithParentRelationship(script)
                .WithHiddenOnCompletion()
                .ExcludeFromManifest();
            script.WaitForCompletion(install);
        }

        return script;
    }
}

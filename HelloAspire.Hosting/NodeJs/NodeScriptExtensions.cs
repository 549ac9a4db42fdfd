using HelloAspire.Hosting.Processes;

namespace Aspire.Hosting;

/// <summary>
/// A Node.js program run with what Aspire.Hosting itself offers (Aspire's JavaScript hosting package is not used):
/// <c>node</c> as an executable, <c>npm ci</c> first when its dependencies are missing, and its Dockerfile to publish.
/// </summary>
public static class NodeScriptExtensions
{
    /// <summary>Whether <c>node</c> is on the PATH, so that a script can run.</summary>
    public static bool IsNodeOnPath() => ExecutablePath.Find("node") is not null;

    /// <summary>
    /// Adds <c>node <paramref name="arguments"/></c> in <paramref name="directory"/>, after <c>npm ci</c> when its
    /// dependencies are missing (a step shown under the program, hidden once it has completed), deployed as the
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

        if (builder.ExecutionContext.IsRunMode && !Directory.Exists(Path.Combine(workingDirectory, "node_modules")))
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

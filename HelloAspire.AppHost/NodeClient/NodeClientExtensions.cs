namespace HelloAspire.AppHost.NodeClient;

/// <summary>
/// A Node.js program run with what Aspire.Hosting itself offers (Aspire's JavaScript hosting package is not used):
/// <c>node</c> as an executable, <c>npm ci</c> first when its dependencies are missing, and a Dockerfile to publish.
/// </summary>
public static partial class NodeClientExtensions
{
    public const string EnabledSetting = "NodeClient:Enabled";

    /// <summary>
    /// Whether the AppHost should add the Node.js client: not when <c>NodeClient:Enabled</c> is false or, when running,
    /// when Node.js is not on the PATH; the AppHost then logs why it was left out.
    /// </summary>
    public static bool WantsNodeClient(this IDistributedApplicationBuilder builder)
    {
        var leftOutBecause =
            !builder.Configuration.GetValue(EnabledSetting, defaultValue: true) ? $"{EnabledSetting} is false"
            : builder.ExecutionContext.IsRunMode && FindOnPath("node") is null ? "node is not on the PATH (install Node.js 18 or later, Debian: apt-get install nodejs npm)"
            : null;
        if (leftOutBecause is not null)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
            {
                var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(NodeClientExtensions).Namespace!);
                LogLeftOut(logger, "node-client", leftOutBecause);
                return Task.CompletedTask;
            });
        }

        return leftOutBecause is null;
    }

    /// <summary>
    /// Adds <c>node --require ./require-auth.js index.js</c> in <paramref name="directory"/>, after <c>npm ci</c> when its dependencies are missing
    /// (a step shown under the client, hidden once it has completed), deployed as the image its Dockerfile builds.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AddNodeClient(this IDistributedApplicationBuilder builder, string name, string directory)
    {
        var workingDirectory = Path.GetFullPath(directory, builder.AppHostDirectory);
        // The tutorial's index.js as it is; what the app adds is loaded before it (see require-auth.js).
        var client = builder.AddExecutable(name, "node", workingDirectory, "--require", "./require-auth.js", "index.js")
            // Deployed as the image its Dockerfile builds: azd cannot run a host executable.
            .PublishAsDockerFile();

        if (builder.ExecutionContext.IsRunMode && !Directory.Exists(Path.Combine(workingDirectory, "node_modules")))
        {
            var install = builder.AddExecutable($"{name}-install", "npm", workingDirectory, "ci", "--no-audit", "--no-fund")
                .WithParentRelationship(client)
                .WithHiddenOnCompletion()
                .ExcludeFromManifest();
            client.WaitForCompletion(install);
        }

        return client;
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "{Resource} left out: {Reason}.")]
    private static partial void LogLeftOut(ILogger logger, string resource, string reason);
}

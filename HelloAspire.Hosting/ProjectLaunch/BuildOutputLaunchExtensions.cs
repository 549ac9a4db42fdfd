using System.Reflection;

namespace Aspire.Hosting;

/// <summary>
/// Starts a .NET project resource from the program its build produced, instead of Aspire's default
/// <c>dotnet run --no-build</c>, which evaluates the project with MSBuild before every start only to find that same
/// program. Both assume the AppHost's build has built the project, which it does. The AppHost's project imports
/// ProjectLaunch.targets, which records where each project resource's program is.
/// </summary>
public static partial class BuildOutputLaunchExtensions
{
    /// <summary>The setting that keeps Aspire's default <c>dotnet run</c> launch.</summary>
    public const string UseDotnetRunSetting = "ProjectLaunch:UseDotnetRun";

    /// <summary>The key prefix of the AppHost assembly's metadata that its project file writes, one per project resource.</summary>
    public const string OutputMetadataPrefix = "ProjectLaunch.Output:";

    /// <summary>
    /// When running, starts the project's built program directly, with the same working directory, environment and
    /// arguments. Left as <c>dotnet run</c> under <c>dotnet watch</c> (hot reload needs it), with
    /// <c>ProjectLaunch:UseDotnetRun=true</c>, or when there is no built program to start (the AppHost logs why).
    /// An IDE that launches projects itself is not affected.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithBuildOutputLaunch(this IResourceBuilder<ProjectResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.ApplicationBuilder;
        if (!app.ExecutionContext.IsRunMode)
        {
            return builder;
        }

        var projectPath = builder.Resource.GetProjectMetadata().ProjectPath;
        var program = FindBuiltProgram(app.AppHostAssembly, projectPath);
        var keptBecause =
            app.Configuration.GetValue<bool>(UseDotnetRunSetting) ? $"{UseDotnetRunSetting} is true"
            : IsTrue(app.Configuration["DOTNET_WATCH"]) ? "the AppHost runs under dotnet watch"
            : program is null ? $"the AppHost's build recorded no program for {projectPath} (rebuild the AppHost)"
            : !File.Exists(program) ? $"{program} does not exist (build the AppHost, which builds the project, and keep the project's UseAppHost on)"
            : null;

        app.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ProjectLaunch");
            if (keptBecause is null)
            {
                LogDirect(logger, builder.Resource.Name, program!);
            }
            else
            {
                LogDotnetRun(logger, builder.Resource.Name, keptBecause);
            }

            return Task.CompletedTask;
        });

        return keptBecause is null
            ? builder.WithAnnotation(new ExecutableAnnotation { Command = program!, WorkingDirectory = Path.GetDirectoryName(projectPath)! })
            : builder;
    }

    /// <summary>The native launcher beside the project's built assembly, as recorded by the AppHost's build, or null.</summary>
    public static string? FindBuiltProgram(Assembly? appHostAssembly, string projectPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(projectPath);
        var assemblyPath = appHostAssembly?.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == OutputMetadataPrefix + projectPath)?.Value;
        return string.IsNullOrEmpty(assemblyPath)
            ? null
            : Path.ChangeExtension(assemblyPath, OperatingSystem.IsWindows() ? ".exe" : null);
    }

    // dotnet watch sets DOTNET_WATCH=1; Aspire also accepts true.
    private static bool IsTrue(string? value) => value == "1" || (bool.TryParse(value, out var isTrue) && isTrue);

    [LoggerMessage(EventId = 601, Level = LogLevel.Debug, Message = "{Resource} starts from its build output: {Program}.")]
    private static partial void LogDirect(ILogger logger, string resource, string program);

    [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "{Resource} starts with dotnet run, because {Reason}.")]
    private static partial void LogDotnetRun(ILogger logger, string resource, string reason);
}

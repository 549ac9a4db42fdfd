using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.AppHost.RunOnce;

/// <summary>For a resource that runs once and exits, like the tutorial's app: its output and exit code on the AppHost's console.</summary>
public static class RunOnceResourceExtensions
{
    /// <summary>The setting that makes the AppHost stop when its run-once resources have ended, exiting with the first non-zero exit code.</summary>
    public const string ExitWithWorkerSetting = "ExitWithWorker";

    /// <summary>
    /// Echoes the resource's console output and how it ended on the AppHost's console, so that a terminal without a
    /// browser still shows the result. With <paramref name="exitAppHost"/>, the AppHost stops once every such resource
    /// has ended, and exits with the first non-zero exit code among them, else 0 (for scripts and CI).
    /// </summary>
    public static IResourceBuilder<T> WithConsoleEcho<T>(this IResourceBuilder<T> builder, bool exitAppHost = false)
        where T : IResource
    {
        if (builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            builder.ApplicationBuilder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConsoleEchoService>());
        }

        return builder.WithAnnotation(new ConsoleEchoAnnotation(exitAppHost));
    }

    /// <summary>The setting a run-once client reads to stay up after its run (both clients read the same name).</summary>
    public const string AfterRunVariable = "Hello__AfterRun";

    /// <summary>
    /// Deployed, the resource stays up after its run instead of exiting: azd deploys every project and container as an
    /// Azure Container App, which is started again after each exit, so a run-once program would run forever (and a
    /// failing one would be a restart loop; aspire-samples#300). It reads until it works, then idles until stopped.
    /// </summary>
    public static IResourceBuilder<T> StaysUpWhenDeployed<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithEnvironment =>
        builder.ApplicationBuilder.ExecutionContext.IsPublishMode
            ? builder.WithEnvironment(AfterRunVariable, "Stay")
            : builder;
}

internal sealed record ConsoleEchoAnnotation(bool ExitAppHost) : IResourceAnnotation;

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
}

internal sealed record ConsoleEchoAnnotation(bool ExitAppHost) : IResourceAnnotation;

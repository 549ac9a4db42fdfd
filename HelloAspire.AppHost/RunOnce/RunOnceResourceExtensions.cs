using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.AppHost.RunOnce;

/// <summary>For a resource that runs once and exits, like the tutorial's app: its output and exit code on the AppHost's console.</summary>
public static class RunOnceResourceExtensions
{
    /// <summary>The setting that makes the AppHost stop when the run-once resource ends, exiting with its exit code.</summary>
    public const string ExitWithWorkerSetting = "ExitWithWorker";

    /// <summary>
    /// Echoes the resource's console output and how it ended on the AppHost's console, so that a terminal without a
    /// browser still shows the result. With <paramref name="exitAppHost"/>, the AppHost then stops and exits with the
    /// resource's exit code (for scripts and CI).
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

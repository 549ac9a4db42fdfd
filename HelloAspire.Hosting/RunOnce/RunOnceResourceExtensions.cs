using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using HelloAspire.Hosting.RunOnce;

namespace Aspire.Hosting;

/// <summary>
/// Run-once resources: programs that run once and exit, like the tutorial's app. Their console output and how they
/// ended show on the AppHost's console, and the AppHost can stop once they have all ended.
/// </summary>
public static class RunOnceResourceExtensions
{
    /// <summary>
    /// Marks a resource as run-once, when running: its console output and how it ended are echoed on the AppHost's
    /// console, so that a terminal without a browser still shows the result. With <paramref name="stopsTheAppHost"/>,
    /// the AppHost stops once every such resource has ended and exits with the first non-zero exit code among them,
    /// else 0 (scripts, CI).
    /// </summary>
    public static IResourceBuilder<T> AsRunOnce<T>(this IResourceBuilder<T> builder, bool stopsTheAppHost = false)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return builder;
        }

        builder.ApplicationBuilder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RunOnceConsoleService>());
        return builder.WithAnnotation(new RunOnceAnnotation(stopsTheAppHost));
    }
}

using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.AppHost.RunOnce;

/// <summary>
/// Run-once resources: programs that run once and exit, like the tutorial's app (the worker, the Node.js client, the
/// seed step). One name for the feature: this folder, its types, the <c>RunOnce</c> setting and the clients'
/// <c>Hello__AfterRun</c> variable.
/// </summary>
public static partial class RunOnceResourceExtensions
{
    /// <summary>The setting (<c>--RunOnce=true</c>) that stops the AppHost once its run-once resources have ended, exiting with the first non-zero exit code.</summary>
    public const string RunOnceSetting = "RunOnce";

    /// <summary>The setting's first name, still accepted: scripts written for it keep working, with a warning that names the new one.</summary>
    public const string FormerRunOnceSetting = "ExitWithWorker";

    /// <summary>The setting a run-once client reads to stay up after its run (the worker and the Node.js client read the same name).</summary>
    public const string AfterRunVariable = "Hello__AfterRun";

    /// <summary>True when the AppHost should stop once its run-once resources have ended (<see cref="RunOnceSetting"/>, or its former name).</summary>
    public static bool RunOnceRequested(this IDistributedApplicationBuilder builder)
    {
        var current = ParseBool(builder.Configuration[RunOnceSetting], RunOnceSetting);
        if (ParseBool(builder.Configuration[FormerRunOnceSetting], FormerRunOnceSetting) is not { } former)
        {
            return current ?? false;
        }

        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            LogFormerSetting(e.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RunOnceResourceExtensions).Namespace!), FormerRunOnceSetting, RunOnceSetting);
            return Task.CompletedTask;
        });
        return current ?? former;
    }

    private static bool? ParseBool(string? value, string key) =>
        string.IsNullOrEmpty(value) ? null
        : bool.TryParse(value, out var result) ? result
        : throw new DistributedApplicationException($"{key} is '{value}'. Fix: use --{RunOnceSetting}=true or false.");

    /// <summary>
    /// Marks a resource as run-once. Run: its console output and how it ended are echoed on the AppHost's console, so
    /// that a terminal without a browser still shows the result; with <paramref name="exitAppHost"/>, the AppHost stops
    /// once every such resource has ended and exits with the first non-zero exit code among them, else 0 (scripts, CI).
    /// Deployed: it stays up after its run instead of exiting, because azd deploys every project and container as an
    /// Azure Container App, which is started again after each exit: a run-once program would run forever, a failing
    /// one in a restart loop (aspire-samples#300). It retries until it works, then idles until stopped.
    /// </summary>
    public static IResourceBuilder<T> AsRunOnce<T>(this IResourceBuilder<T> builder, bool exitAppHost = false)
        where T : IResourceWithEnvironment
    {
        if (builder.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            return builder.WithEnvironment(AfterRunVariable, "Stay");
        }

        builder.ApplicationBuilder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RunOnceConsoleService>());
        return builder.WithAnnotation(new RunOnceAnnotation(exitAppHost));
    }

    /// <summary>True when a run-once resource stops the AppHost when it ends (<c>--RunOnce=true</c>).</summary>
    internal static bool EndsTheAppHost(DistributedApplicationModel model) =>
        model.Resources.Any(r => r.Annotations.OfType<RunOnceAnnotation>().Any(a => a.ExitAppHost));

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "--{Former} is now called --{Current}; it still works, but use the new name.")]
    private static partial void LogFormerSetting(ILogger logger, string former, string current);
}

/// <summary>A run-once resource; <see cref="ExitAppHost"/>: the AppHost stops once every such resource has ended.</summary>
internal sealed record RunOnceAnnotation(bool ExitAppHost) : IResourceAnnotation;

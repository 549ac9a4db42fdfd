using HelloAspire.AppHost.Startup;

namespace HelloAspire.AppHost.Clients;

/// <summary>
/// The clients' settings: <c>RunOnce</c> (the AppHost stops once they have ended), <c>NodeClient:Enabled</c>, and
/// the variable that keeps a deployed client up after its run (the worker and the Node.js client read the same name).
/// </summary>
public static partial class ClientSettings
{
    /// <summary>The setting (<c>--RunOnce=true</c>) that stops the AppHost once its clients have ended, exiting with the first non-zero exit code.</summary>
    public const string RunOnceSetting = "RunOnce";

    /// <summary>The setting's first name, still accepted: scripts written for it keep working, with a warning that names the new one.</summary>
    public const string FormerRunOnceSetting = "ExitWithWorker";

    /// <summary>What a deployed client reads to stay up after its run (see <see cref="StaysUpWhenDeployed"/>).</summary>
    public const string AfterRunVariable = "Hello__AfterRun";

    public const string NodeClientEnabledSetting = "NodeClient:Enabled";

    private const string LogCategory = "HelloAspire.AppHost.Clients";

    /// <summary>True when the AppHost should stop once its clients have ended (<see cref="RunOnceSetting"/>, or its former name).</summary>
    public static bool StopWhenClientsEnd(this IDistributedApplicationBuilder builder)
    {
        var current = ParseBool(builder.Configuration[RunOnceSetting], RunOnceSetting);
        if (ParseBool(builder.Configuration[FormerRunOnceSetting], FormerRunOnceSetting) is not { } former)
        {
            return current ?? false;
        }

        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = Logger(e);
            LogFormerSetting(logger, FormerRunOnceSetting, RunOnceSetting);
            return Task.CompletedTask;
        });
        return current ?? former;
    }

    /// <summary>
    /// Deployed, a client stays up after its run instead of exiting: azd deploys every project and container as an
    /// Azure Container App, which is started again after each exit, so a run-once program would run forever, a
    /// failing one in a restart loop (aspire-samples#300). It retries until it works, then idles until stopped.
    /// </summary>
    public static IResourceBuilder<T> StaysUpWhenDeployed<T>(this IResourceBuilder<T> client)
        where T : IResourceWithEnvironment =>
        client.ApplicationBuilder.ExecutionContext.IsPublishMode ? client.WithEnvironment(AfterRunVariable, "Stay") : client;

    /// <summary>
    /// Whether to add the Node.js client: not when <c>NodeClient:Enabled</c> is false or, when running, when Node.js
    /// is not on the PATH; the AppHost then logs why it was left out.
    /// </summary>
    public static bool WantsNodeClient(this IDistributedApplicationBuilder builder, string name)
    {
        var leftOutBecause =
            !builder.Configuration.GetValue(NodeClientEnabledSetting, defaultValue: true) ? $"{NodeClientEnabledSetting} is false"
            : builder.ExecutionContext.IsRunMode && !NodeScriptExtensions.IsNodeOnPath() ? "node is not on the PATH (install Node.js 20.6 or later, Debian: apt-get install nodejs npm)"
            : null;
        if (leftOutBecause is not null)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
            {
                var logger = Logger(e);
                LogLeftOut(logger, name, leftOutBecause);
                return Task.CompletedTask;
            });
        }

        return leftOutBecause is null;
    }

    private static bool? ParseBool(string? value, string key) => BoolSetting.Parse(value, key, $"use --{RunOnceSetting}=true or false.");

    private static ILogger Logger(BeforeStartEvent e) => e.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);

    [LoggerMessage(EventId = 903, Level = LogLevel.Warning, Message = "--{Former} is now called --{Current}; it still works, but use the new name.")]
    private static partial void LogFormerSetting(ILogger logger, string former, string current);

    [LoggerMessage(EventId = 904, Level = LogLevel.Warning, Message = "{Resource} left out: {Reason}.")]
    private static partial void LogLeftOut(ILogger logger, string resource, string reason);
}

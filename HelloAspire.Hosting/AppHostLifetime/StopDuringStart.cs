using System.Runtime.CompilerServices;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>
/// A stop asked for while Aspire is still starting the app (Ctrl+C or SIGTERM while a client waits for postgres, or
/// the AppHost's own end of a run after a failure it has reported) cancels that start, and the host logs the
/// cancellation as "Hosting failed to start" with a stack trace: a second, wrong error after the user's own stop.
/// That stop gets one line instead. A start that fails by itself, with no stop asked for, is logged as before.
/// </summary>
public static partial class StopDuringStart
{
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    public static IDistributedApplicationBuilder LogStopDuringStartAsOneLine(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Asked when the host logs, not set by a callback: the cancelled start can be logged before the callbacks of
        // ApplicationStopping have run.
        var lifetime = new StrongBox<IHostApplicationLifetime?>();
        builder.Services.AddLogging(logging => logging.AddFilter(HostCategory,
            level => level >= LogLevel.Information && (level < LogLevel.Error || !StoppedDuringStart(Volatile.Read(ref lifetime.Value)))));
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var hostLifetime = e.Services.GetRequiredService<IHostApplicationLifetime>();
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StopDuringStart));
            Volatile.Write(ref lifetime.Value, hostLifetime);
            hostLifetime.ApplicationStopping.Register(() =>
            {
                if (StoppedDuringStart(hostLifetime))
                {
                    LogStoppedDuringStart(logger);
                }
            });
            return Task.CompletedTask;
        });
        return builder;
    }

    private static bool StoppedDuringStart(IHostApplicationLifetime? lifetime) =>
        lifetime is not null && lifetime.ApplicationStopping.IsCancellationRequested && !lifetime.ApplicationStarted.IsCancellationRequested;

    [LoggerMessage(EventId = 801, Level = LogLevel.Information, Message = "Stopping before every resource has started (a client still waiting for the one it needs, for one): Aspire's start is cancelled.")]
    private static partial void LogStoppedDuringStart(ILogger logger);
}

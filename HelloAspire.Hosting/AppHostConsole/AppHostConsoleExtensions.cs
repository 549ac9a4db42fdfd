using HelloAspire.Hosting.AppHostConsole;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Aspire.Hosting;

/// <summary>
/// An AppHost console that shows the app rather than Aspire's bookkeeping: what the app logs, the dashboard's login
/// line and every warning and error, while Aspire's informational lines (its version, directory and endpoints, and the
/// waits and process starts it writes into each resource's log) stay in the dashboard.
/// </summary>
public static class AppHostConsoleExtensions
{
    /// <summary>
    /// Keeps Aspire's informational lines off the console: those it logs itself, except the dashboard's login line and
    /// "Distributed application started. Press Ctrl+C to shut down.", and, in the output of run-once resources
    /// (<see cref="RunOnceResourceExtensions.AsRunOnce"/>), the lines Aspire adds to a resource's log. Warnings, errors
    /// and the Debug lines that <c>Logging:LogLevel</c> asks for still show. The dashboard's console logs keep everything.
    /// </summary>
    public static IDistributedApplicationBuilder KeepAspireLinesOffTheConsole(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<AspireLines>();
        var console = builder.Services.LastOrDefault(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        if (console is not null)
        {
            builder.Services.Remove(console);
            builder.Services.AddSingleton<ILoggerProvider>(services => new ConsoleWithoutAspireLines(new ConsoleLoggerProvider(
                services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), services.GetServices<ConsoleFormatter>())));
        }

        return builder;
    }
}

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
    // Aspire's own setting for a dashboard without a login (see AspireLines).
    private const string UnsecuredDashboardSetting = "ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS";

    /// <summary>
    /// Keeps Aspire's informational lines off the console: those it logs itself, except the dashboard's login line and
    /// "Distributed application started. Press Ctrl+C to shut down." (and its "Now listening on" line for a dashboard
    /// without a login, which has no login line), and, in the output of run-once resources
    /// (<see cref="RunOnceResourceExtensions.AsRunOnce"/>), the lines Aspire adds to a resource's log. Warnings, errors
    /// and the Debug lines that <c>Logging:LogLevel</c> asks for still show. The dashboard's console logs keep everything.
    /// </summary>
    public static IDistributedApplicationBuilder KeepAspireLinesOffTheConsole(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var aspireLines = new AspireLines(dashboardWithoutLogin: bool.TryParse(builder.Configuration[UnsecuredDashboardSetting], out var unsecured) && unsecured);
        builder.Services.AddSingleton(aspireLines);
        var console = builder.Services.LastOrDefault(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        if (console is not null)
        {
            builder.Services.Remove(console);
            builder.Services.AddSingleton<ILoggerProvider>(services => new ConsoleWithoutAspireLines(new ConsoleLoggerProvider(
                services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), services.GetServices<ConsoleFormatter>()), aspireLines));
        }

        return builder;
    }
}

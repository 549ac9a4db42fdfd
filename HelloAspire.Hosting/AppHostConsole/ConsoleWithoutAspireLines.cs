using Microsoft.Extensions.Logging.Console;

namespace HelloAspire.Hosting.AppHostConsole;

/// <summary>
/// The console logger with Aspire's informational lines left out (<see cref="AspireLines.IsLeftOut{TState}"/>). Logging's
/// filters choose by category and level only, and Aspire writes its login line and its bookkeeping under one category
/// and level. The alias keeps <c>Logging:Console</c>'s settings applying to it.
/// </summary>
[ProviderAlias("Console")]
internal sealed class ConsoleWithoutAspireLines(ConsoleLoggerProvider console, AspireLines aspireLines) : ILoggerProvider, ISupportExternalScope
{
    public ILogger CreateLogger(string categoryName) => new Logger(console.CreateLogger(categoryName), categoryName, aspireLines);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => console.SetScopeProvider(scopeProvider);

    public void Dispose() => console.Dispose();

    private sealed class Logger(ILogger console, string category, AspireLines aspireLines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => console.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => console.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!aspireLines.IsLeftOut(category, logLevel, state))
            {
                console.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}

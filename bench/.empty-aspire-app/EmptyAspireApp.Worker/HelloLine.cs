namespace EmptyAspireApp.Worker;

/// <summary>Logs one line and stops: HelloAspire's worker without the database.</summary>
internal sealed partial class HelloLine(ILogger<HelloLine> logger, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogHello(logger);
        lifetime.StopApplication();
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Hello from the empty Aspire app")]
    private static partial void LogHello(ILogger logger);
}

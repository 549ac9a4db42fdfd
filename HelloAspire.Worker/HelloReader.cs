using System.Diagnostics;
using Npgsql;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace HelloAspire.Worker;

/// <summary>Reads the tutorial's row from table <c>hello</c>, retrying transient connection errors within a budget.</summary>
public sealed partial class HelloReader(NpgsqlDataSource dataSource, IOptions<HelloOptions> options, ILogger<HelloReader> logger)
{
    public static readonly ActivitySource ActivitySource = new("HelloAspire.Worker");

    /// <summary>The first row's message, or null when the table is empty.</summary>
    /// <exception cref="DatabaseUnreachableException">The database stayed unreachable for the whole retry budget.</exception>
    public async Task<string?> ReadAsync(CancellationToken cancellationToken)
    {
        using var activity = ActivitySource.StartActivity("read hello row");
        await using var connection = await OpenWithRetriesAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            SELECT message
            FROM hello
            ORDER BY id
            LIMIT 1
            """,
            connection);
        var message = await command.ExecuteScalarAsync(cancellationToken) as string;
        activity?.SetTag("hello.found", message is not null);
        return message;
    }

    /// <summary>A connection, retrying transient errors within <see cref="HelloOptions.ConnectRetryBudget"/>.</summary>
    /// <exception cref="DatabaseUnreachableException">The database stayed unreachable for the whole retry budget.</exception>
    internal async Task<NpgsqlConnection> OpenWithRetriesAsync(CancellationToken cancellationToken)
    {
        Exception? lastError = null;
        var budget = options.Value.ConnectRetryBudget;
        var pipeline = new ResiliencePipelineBuilder()
            .AddTimeout(budget)
            .AddRetry(new RetryStrategyOptions
            {
                // Server still starting (57P03), not listening yet, connection reset: worth another try.
                ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(ex => ex.IsTransient),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(2),
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    lastError = args.Outcome.Exception;
                    LogRetrying(logger, lastError?.Message, args.AttemptNumber + 1, (long)args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        try
        {
            return await pipeline.ExecuteAsync(static async (source, token) => await source.OpenConnectionAsync(token), dataSource, cancellationToken);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new DatabaseUnreachableException(budget, lastError ?? ex);
        }
    }

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "The database is not reachable yet ({Error}); attempt {Attempt} in {DelayMs} ms.")]
    private static partial void LogRetrying(ILogger logger, string? error, int attempt, long delayMs);
}

/// <summary>The database did not answer within <see cref="HelloOptions.ConnectRetryBudget"/>; the inner exception is the last error.</summary>
public sealed class DatabaseUnreachableException(TimeSpan budget, Exception lastError)
    : Exception($"No connection within {budget.TotalSeconds:0.#} s: {lastError.Message}", lastError)
{
    public TimeSpan Budget { get; } = budget;
}

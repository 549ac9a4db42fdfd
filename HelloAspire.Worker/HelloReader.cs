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

    // How long the check whether anything takes connections may take.
    private static readonly TimeSpan s_connectProbeTime = TimeSpan.FromSeconds(1);

    // A connection that took the whole budget still gets this long for its query.
    private static readonly TimeSpan s_minimumQueryTime = TimeSpan.FromSeconds(2);

    /// <summary>The first row's message, or null when the table is empty.</summary>
    /// <exception cref="DatabaseUnreachableException">The database stayed unreachable for the whole retry budget.</exception>
    /// <exception cref="DatabaseNotAnsweringException">Nothing answered the connection or the query within the budget.</exception>
    public async Task<string?> ReadAsync(CancellationToken cancellationToken)
    {
        using var activity = ActivitySource.StartActivity("read hello row");
        var started = Stopwatch.GetTimestamp();
        await using var connection = await OpenWithRetriesAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            SELECT message
            FROM hello
            ORDER BY id
            LIMIT 1
            """,
            connection);
        // The query within what is left of the budget: a server that takes connections and then never answers (a
        // stopped process, a lock held elsewhere) must not hold the worker longer than one that refuses them.
        var budget = options.Value.ConnectRetryBudget;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromTicks(Math.Max((budget - Stopwatch.GetElapsedTime(started)).Ticks, s_minimumQueryTime.Ticks)));
        try
        {
            var message = await command.ExecuteScalarAsync(bounded.Token) as string;
            activity?.SetTag("hello.found", message is not null);
            return message;
        }
        catch (OperationCanceledException ex) when (bounded.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new DatabaseNotAnsweringException(budget, ex);
        }
    }

    /// <summary>A connection, retrying transient errors within <see cref="HelloOptions.ConnectRetryBudget"/>.</summary>
    /// <exception cref="DatabaseUnreachableException">The database stayed unreachable for the whole retry budget.</exception>
    /// <exception cref="DatabaseNotAnsweringException">Nothing answered the attempts within the budget.</exception>
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
        catch (TimeoutRejectedException ex) when (lastError is null or NpgsqlException { InnerException: TimeoutException })
        {
            // No attempt was refused or failed within the budget: either something takes connections and says nothing
            // (a stopped server), or the attempts were slow (a short budget on a busy machine). A plain TCP connect
            // tells them apart.
            throw await TakesConnectionsAsync(cancellationToken)
                ? new DatabaseNotAnsweringException(budget, ex)
                : new DatabaseUnreachableException(budget, lastError ?? ex);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new DatabaseUnreachableException(budget, lastError ?? ex);
        }
    }

    /// <summary>Whether the server's first host takes a TCP connection within a moment.</summary>
    private async Task<bool> TakesConnectionsAsync(CancellationToken cancellationToken)
    {
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        var host = settings.Host?.Split(',')[0].Trim();
        if (string.IsNullOrEmpty(host) || host.StartsWith('/'))
        {
            return false; // a unix socket: nothing to tell apart here
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(s_connectProbeTime);
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, settings.Port, bounded.Token);
            return true;
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
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

/// <summary>Nothing answered the connection or the query within <see cref="HelloOptions.ConnectRetryBudget"/>: no refusal, no error.</summary>
public sealed class DatabaseNotAnsweringException(TimeSpan budget, Exception cancellation)
    : Exception($"No answer within {budget.TotalSeconds:0.#} s.", cancellation)
{
    public TimeSpan Budget { get; } = budget;
}

using Npgsql;

namespace HelloAspire.Worker;

/// <summary>
/// Runs once, like the tutorial's app: prints the hello row (or, as the seeding step, applies the seed), then stops the
/// host with an exit code (see <see cref="ExitCodes"/>). Deployed (<see cref="AfterRun.Stay"/>), it stays up instead.
/// </summary>
public sealed partial class HelloWorker(
    HelloReader reader,
    HelloSeeder seeder,
    NpgsqlDataSource dataSource,
    IOptions<HelloOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<HelloWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.AfterRun == AfterRun.Exit)
        {
            // A BackgroundService that throws still lets the process exit 0, so every outcome sets the exit code itself.
            Environment.ExitCode = await RunOnceAsync(stoppingToken);
            lifetime.StopApplication();
            return;
        }

        // Deployed (Hello:AfterRun=Stay): whatever exits is started again, so read until it works, then stay up.
        while (await RunOnceAsync(stoppingToken) != ExitCodes.Success)
        {
            stoppingToken.ThrowIfCancellationRequested();
            LogTryingAgainLater(logger, What, options.Value.RetryInterval.TotalSeconds);
            await Task.Delay(options.Value.RetryInterval, stoppingToken);
        }

        LogStayingUp(logger, What);
        await Task.Delay(Timeout.Infinite, stoppingToken);
    }

    /// <summary>What this run does, in the words of its messages: the worker's and the seeding step's are told apart.</summary>
    private string What => options.Value.Task == HelloTask.Seed ? "applying the seed scripts" : "reading the hello row";

    private async Task<int> RunOnceAsync(CancellationToken stoppingToken)
    {
        var target = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        try
        {
            if (options.Value.Task == HelloTask.Seed)
            {
                await seeder.ApplyAsync(stoppingToken);
                return ExitCodes.Success;
            }

            if (await reader.ReadAsync(stoppingToken) is not { } greeting)
            {
                LogTableEmpty(logger, target.Database);
                return ExitCodes.TableEmpty;
            }

            LogGreeting(logger, greeting);
            return ExitCodes.Success;
        }
        catch (HelloAspire.Seeding.SeedException ex)
        {
            LogSeedFailed(logger, target.Database, ex.Message);
            return ExitCodes.SeedFailed;
        }
        catch (DatabaseUnreachableException ex)
        {
            LogUnreachable(logger, target.Host, target.Port, target.Database, ex.Budget.TotalSeconds, ex.InnerException!.Message);
            return ExitCodes.DatabaseUnreachable;
        }
        catch (DatabaseNotAnsweringException ex)
        {
            LogNotAnswering(logger, target.Host, target.Port, What, ex.Budget.TotalSeconds);
            return ExitCodes.DatabaseNotAnswering;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            LogDatabaseMissing(logger, target.Database, target.Host, target.Port);
            return ExitCodes.DatabaseMissing;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            LogTableMissing(logger, target.Database);
            return ExitCodes.TableMissing;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            LogAuthenticationFailed(logger, target.Username, target.Host, target.Port, ex.MessageText);
            return ExitCodes.AuthenticationFailed;
        }
        catch (NpgsqlException ex)
        {
            LogDatabaseError(logger, ex, What, target.Host, target.Port, target.Database);
            return ExitCodes.DatabaseUnreachable;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogCancelled(logger, What);
            return ExitCodes.Unexpected;
        }
        catch (Exception ex)
        {
            LogUnexpected(logger, ex, What);
            return ExitCodes.Unexpected;
        }
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "{Greeting}")]
    private static partial void LogGreeting(ILogger logger, string greeting);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Table 'hello' in database '{Database}' has no rows. Fix: insert the row (seed/01-hello.sql), or reset the data so that the seed runs again.")]
    private static partial void LogTableEmpty(ILogger logger, string? database);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "Table 'hello' does not exist in database '{Database}'. Fix: the scripts in seed/ create it on a new data directory; reset the data, or run seed/01-hello.sql with psql.")]
    private static partial void LogTableMissing(ILogger logger, string? database);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "Could not reach database '{Database}' at {Host}:{Port} within the {BudgetSeconds} s retry budget (Hello:ConnectRetryBudget): {Error}. Fix: start the server, or correct the connection string.")]
    private static partial void LogUnreachable(ILogger logger, string? host, int port, string? database, double budgetSeconds, string error);

    [LoggerMessage(EventId = 113, Level = LogLevel.Error, Message = "Nothing answered at {Host}:{Port} while {What}, within the {BudgetSeconds} s budget (Hello:ConnectRetryBudget): no refusal and no error, only silence (a server that is stopped or stuck, or a network that drops the connection). Fix: check that the server runs and is not paused (its log; a process stopped with SIGSTOP: kill -CONT it), then run again.")]
    private static partial void LogNotAnswering(ILogger logger, string? host, int port, string what, double budgetSeconds);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "The server at {Host}:{Port} rejected user '{Username}': {Error}. Fix: correct the password in ConnectionStrings:hello (deployed: the 'hello' parameter); for the app's own server, use the password the data was created with, or reset the data.")]
    private static partial void LogAuthenticationFailed(ILogger logger, string? username, string? host, int port, string error);

    [LoggerMessage(EventId = 109, Level = LogLevel.Error, Message = "Database '{Database}' does not exist on {Host}:{Port}. Fix: create it and run the scripts in seed/ (the AppHost does both in container and local modes).")]
    private static partial void LogDatabaseMissing(ILogger logger, string? database, string? host, int port);

    [LoggerMessage(EventId = 106, Level = LogLevel.Error, Message = "{What} in database '{Database}' at {Host}:{Port} failed.")]
    private static partial void LogDatabaseError(ILogger logger, Exception exception, string what, string? host, int port, string? database);

    [LoggerMessage(EventId = 112, Level = LogLevel.Error, Message = "Seeding database '{Database}' stopped: {Error}")]
    private static partial void LogSeedFailed(ILogger logger, string? database, string error);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Trying again in {Seconds} s: {What} (Hello:AfterRun=Stay).")]
    private static partial void LogTryingAgainLater(ILogger logger, string what, double seconds);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "Done {What}; staying up until stopped (Hello:AfterRun=Stay), so that a deployment does not start it again and again.")]
    private static partial void LogStayingUp(ILogger logger, string what);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Stopped before it finished {What}.")]
    private static partial void LogCancelled(ILogger logger, string what);

    [LoggerMessage(EventId = 108, Level = LogLevel.Error, Message = "{What} failed unexpectedly.")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string what);
}

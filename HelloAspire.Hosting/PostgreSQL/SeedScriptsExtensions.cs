using HelloAspire.Hosting.PostgreSQL;
using HelloAspire.Seeding;
using Npgsql;

namespace Aspire.Hosting;

/// <summary>
/// Seeding a database whose server the AppHost runs (a container or the host's binaries) on every start, by the same
/// rule as the seed step applies to a server it does not run (<see cref="SeedScripts"/>): what is new in the folder
/// reaches kept data too, which the image's first-start-only /docker-entrypoint-initdb.d never does.
/// </summary>
public static partial class SeedScriptsExtensions
{
    private const string LogCategory = "HelloAspire.Hosting.Seed";

    /// <summary>
    /// Applies the <c>*.sql</c> scripts of <paramref name="directory"/> to <paramref name="database"/> each time it
    /// becomes ready, before any resource that waits for it starts. A script that fails or changed after it was applied
    /// fails the database (state <see cref="KnownResourceStates.FailedToStart"/>) and its waiters, with one line that
    /// names the script and the fix. Nothing is added when publishing: no AppHost runs beside a deployment.
    /// </summary>
    /// <param name="database">A PostgreSQL database of a server this AppHost runs.</param>
    /// <param name="directory">The scripts' folder.</param>
    /// <param name="directorySetting">Where the folder is set, for the fix of a missing folder (the app's setting name).</param>
    public static IResourceBuilder<T> WithSeedScripts<T>(this IResourceBuilder<T> database, string directory, string directorySetting = "the seed directory")
        where T : IResourceWithConnectionString
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(directorySetting);
        var fullPath = Path.GetFullPath(directory, database.ApplicationBuilder.AppHostDirectory);
        if (!database.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return database;
        }

        // A folder that is missing, or holds a shell script, stops the AppHost before anything starts, in one line.
        try
        {
            SeedScripts.Find(fullPath, directorySetting);
        }
        catch (SeedException ex)
        {
            throw new DistributedApplicationException(ex.Message, ex);
        }

        var seed = new SeedScriptsAnnotation(fullPath, directorySetting);
        database.WithAnnotation(seed);
        database.ApplicationBuilder.Eventing.Subscribe<ResourceReadyEvent>(database.Resource,
            (e, cancellationToken) => ApplyAsync(database.Resource, seed, e.Services, cancellationToken));
        return database;
    }

    /// <summary>
    /// Applies the seed of each database of <paramref name="server"/> that has one, as its ready event does; returns
    /// the failure's line (also logged and shown as the database's state), or null.
    /// </summary>
    internal static async Task<string?> ApplyToDatabasesOfAsync(IResource server, IServiceProvider services, CancellationToken cancellationToken)
    {
        var databases = ServerAndDatabases.DatabasesOf(server, services.GetRequiredService<DistributedApplicationModel>()).OfType<IResourceWithConnectionString>();
        foreach (var database in databases)
        {
            if (database.Annotations.OfType<SeedScriptsAnnotation>().LastOrDefault() is not { } seed)
            {
                continue;
            }

            try
            {
                await ApplyAsync(database, seed, services, cancellationToken);
            }
            catch (DistributedApplicationException ex)
            {
                return ex.Message;
            }
        }

        return null;
    }

    private static async Task ApplyAsync<T>(T database, SeedScriptsAnnotation seed, IServiceProvider services, CancellationToken cancellationToken)
        where T : IResourceWithConnectionString
    {
        // In the server's log, where its start is, as the image's init scripts were: the database has no log of its own.
        var resourceLog = services.GetRequiredService<ResourceLoggerService>().GetLogger(database is IResourceWithParent child ? child.Parent : database);
        try
        {
            var scripts = SeedScripts.Find(seed.Directory, seed.DirectorySetting);
            if (database.Annotations.OfType<SeedHistoryAtStartAnnotation>().LastOrDefault()?.Read(services) is { } history
                && await SeedScripts.AllRecordedAsync(scripts, history, resourceLog, cancellationToken))
            {
                LogNothingNewAtStart(resourceLog);
                return;
            }

            var connectionString = await database.ConnectionStringExpression.GetValueAsync(cancellationToken)
                ?? throw new DistributedApplicationException($"{database.Name} has no connection string to seed it with.");
            await ApplyOnOneConnectionAsync(connectionString, scripts, resourceLog, cancellationToken);
        }
        catch (Exception ex) when (ex is SeedException or NpgsqlException)
        {
            var message = ex is SeedException ? ex.Message : $"the seed scripts could not be applied: {ex.Message}";
            LogSeedFailed(resourceLog, message);
            LogDatabaseSeedFailed(services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory), database.Name, message);
            await services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(database, s => s with
            {
                State = KnownResourceStates.FailedToStart,
                StopTimeStamp = DateTime.UtcNow,
            });
            // Its waiters fail to start rather than read a database that is not what the scripts make. Aspire writes
            // this into each waiter's log, stack and all: the cause is in the line above, so none is chained on.
            throw new DistributedApplicationException($"{database.Name}: {message}");
        }
    }

    /// <summary>
    /// The scripts, applied on one connection that is not kept, and without loading the database's types (text and
    /// PostgreSQL's built-in types are all a seed needs, and that query would delay every start).
    /// </summary>
    private static async Task ApplyOnOneConnectionAsync(string connectionString, IReadOnlyList<string> scripts, ILogger log, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.Pooling = false;
        builder.ConfigureTypeLoading(typeLoading => typeLoading.EnableTypeLoading(false));
        await using var dataSource = builder.Build();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await SeedScripts.ApplyAsync(connection, scripts, log, cancellationToken);
    }

    [LoggerMessage(EventId = 407, Level = LogLevel.Information, Message = "Seed: the history read as the server started records every script as it is; no connection needed.")]
    private static partial void LogNothingNewAtStart(ILogger logger);

    [LoggerMessage(EventId = 405, Level = LogLevel.Error, Message = "{Error}")]
    private static partial void LogSeedFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 406, Level = LogLevel.Error, Message = "{Database} cannot start: {Error}")]
    private static partial void LogDatabaseSeedFailed(ILogger logger, string database, string error);
}

/// <summary>
/// Where the database's server learns its seed history at each start, before the database is ready (a local server: the
/// scripts its init server applied to new data, or what psql read from kept data). When it records every script as it
/// is, the seed rule's check at the ready event needs no connection of its own; <see cref="Read"/>'s null (the start did
/// not look, or could not read it) leaves the check to connect as it does for any other server.
/// </summary>
/// <param name="read">The history at the current start (script name to SHA-256), or null.</param>
internal sealed class SeedHistoryAtStartAnnotation(Func<IServiceProvider, IReadOnlyDictionary<string, string>?> read) : IResourceAnnotation
{
    public IReadOnlyDictionary<string, string>? Read(IServiceProvider services) => read(services);
}

/// <summary>
/// The database is seeded by its AppHost from <paramref name="Directory"/> (<see cref="SeedScriptsExtensions.WithSeedScripts"/>):
/// it needs no seed step. A server that makes new data privately first (local mode's init server) applies them there
/// too, so that nothing connects to new data before it is seeded.
/// </summary>
/// <param name="Directory">The scripts' folder.</param>
/// <param name="DirectorySetting">Where the folder is set, for the fix of a missing one.</param>
public sealed record SeedScriptsAnnotation(string Directory, string DirectorySetting) : IResourceAnnotation;

using HelloAspire.AppHost.LocalPostgres;

namespace HelloAspire.AppHost.Database;

public static partial class HelloDatabaseBuilderExtensions
{
    /// <summary>
    /// Pinned to 17.6 rather than the package's default 18.3, never "latest": 18 images use a new PGDATA layout (aspire#17907)
    /// and can pass the health check during their first-start restart (aspire#18540).
    /// </summary>
    public const string PostgresImageTag = "17.6";

    /// <summary>
    /// Adds the app's PostgreSQL database, seeded from <see cref="HelloDatabaseSettings.SeedDirectory"/>, from wherever
    /// <c>Postgres:Mode</c> says: an existing server, Aspire's container, or the host's binaries (see <see cref="PostgresModeSelector"/>).
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddHelloDatabase(
        this IDistributedApplicationBuilder builder,
        string serverName,
        string databaseName)
    {
        var settings = HelloDatabaseSettings.Read(builder.Configuration, builder.AppHostDirectory);
        var choice = PostgresModeSelector.Choose(
            settings.Mode,
            builder.ExecutionContext.IsPublishMode,
            databaseName,
            hasConnectionString: !string.IsNullOrEmpty(builder.Configuration.GetConnectionString(databaseName)),
            () => ContainerRuntimeProbe.Run(builder),
            () => PostgresInstallation.Find(settings.BinDirectory, PostgresInstallation.DefaultCandidates()));

        var (database, dataLocation) = choice.Mode switch
        {
            PostgresMode.Existing => (builder.AddExistingPostgresDatabase(databaseName), $"the server in ConnectionStrings:{databaseName}"),
            PostgresMode.Container => builder.AddContainerDatabase(serverName, databaseName, settings),
            _ when OperatingSystem.IsWindows() => throw new DistributedApplicationException("Local mode runs on Linux and macOS only. Fix: use Postgres:Mode=container or existing."),
            _ => builder.AddLocalDatabase(serverName, databaseName, settings, choice.Installation!),
        };

        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("HelloAspire.AppHost.Database");
            LogModeChoice(logger, choice.Mode, choice.Reason, dataLocation);
            return Task.CompletedTask;
        });

        return database;
    }

    /// <summary>The database in <c>ConnectionStrings:&lt;name&gt;</c>, used as it is: ready at once, nothing started.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddExistingPostgresDatabase(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddResource(new ExistingPostgresDatabaseResource(name, builder.Configuration.GetConnectionString(name)
                ?? throw new DistributedApplicationException($"ConnectionStrings:{name} is not set.")))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Running,
                Properties = [new(CustomResourceKnownProperties.Source, $"ConnectionStrings:{name}")],
            })
            .ExcludeFromManifest();

    private static (IResourceBuilder<IResourceWithConnectionString>, string DataLocation) AddContainerDatabase(
        this IDistributedApplicationBuilder builder, string serverName, string databaseName, HelloDatabaseSettings settings)
    {
        var server = builder.AddPostgres(serverName)
            .WithImageTag(PostgresImageTag)
            // The image runs the init scripts in POSTGRES_DB: without it they would land in 'postgres' (aspire#13712).
            .WithEnvironment("POSTGRES_DB", databaseName)
            .WithInitFiles(settings.SeedDirectory);
        if (settings.TemporaryData)
        {
            return (server.AddDatabase(databaseName), "the container (throwaway)");
        }

        server.WithDataVolume();
        return (server.AddDatabase(databaseName), $"the container volume {server.Resource.Annotations.OfType<ContainerMountAnnotation>().Single(m => m.Type == ContainerMountType.Volume).Source}");
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static (IResourceBuilder<IResourceWithConnectionString>, string DataLocation) AddLocalDatabase(
        this IDistributedApplicationBuilder builder, string serverName, string databaseName, HelloDatabaseSettings settings, PostgresInstallation installation)
    {
        var dataDirectory = settings.TemporaryData
            ? Path.Combine(Path.GetTempPath(), $"helloaspire-{Guid.NewGuid():N}")
            : settings.DataDirectory ?? HelloDatabaseSettings.DefaultDataDirectory(builder, serverName);
        var server = builder.AddLocalPostgres(serverName, installation, dataDirectory, port: settings.Port)
            .WithInitFiles(settings.SeedDirectory);
        if (settings.TemporaryData)
        {
            server.WithThrowawayDataDurability()
                .WithDataDeletedOnStop();
        }

        return (server.AddDatabase(databaseName), settings.TemporaryData ? $"{dataDirectory} (deleted on exit)" : dataDirectory);
    }

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "PostgreSQL: {Mode} mode, because {Reason}. Data: {DataLocation}.")]
    private static partial void LogModeChoice(ILogger logger, PostgresMode mode, string reason, string dataLocation);
}

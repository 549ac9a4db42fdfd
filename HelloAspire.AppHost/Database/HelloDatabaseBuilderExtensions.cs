namespace HelloAspire.AppHost.Database;

/// <summary>The app's PostgreSQL database, from wherever <c>Postgres:Mode</c> says, and its seeding step.</summary>
public static partial class HelloDatabaseBuilderExtensions
{
    /// <summary>
    /// The one place the PostgreSQL image is pinned (postgres/Dockerfile gets it as a build argument): a patched 17,
    /// never "latest", and not the package's default 18, whose images use a new PGDATA layout (aspire#17907) and can
    /// pass the health check during their first-start restart (aspire#18540).
    /// </summary>
    public const string PostgresImageTag = "17.12";

    /// <summary>The deploy image's Dockerfile (the pinned image with the seed baked in), relative to the AppHost's directory.</summary>
    public const string PublishDockerfile = "../postgres/Dockerfile";

    /// <summary>What to do about an image the container runtime cannot have or run.</summary>
    private const string ImageFix = "set Postgres:Image to an image you have or can pull (a mirror), or use Postgres:Mode=local";

    private const string LogCategory = "HelloAspire.AppHost.Database";

    private const string SeedDirectorySetting = $"{HelloDatabaseSettings.SectionName}:SeedDirectory";

    /// <summary>
    /// Adds the app's PostgreSQL database from wherever <c>Postgres:Mode</c> says: an existing server, Aspire's
    /// container, or the host's binaries (see <see cref="PostgresModeSelector"/>). A server the app runs is seeded from
    /// <see cref="HelloDatabaseSettings.SeedDirectory"/> on every start, by the AppHost; any other by the seed step.
    /// </summary>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="serverName">The server resource (container or local).</param>
    /// <param name="databaseName">The database, and the connection string's name.</param>
    /// <param name="stopAppHostOnFailure">A container that cannot start ends the AppHost (exit code 1): for a run that should end by itself.</param>
    public static IResourceBuilder<IResourceWithConnectionString> AddHelloDatabase(
        this IDistributedApplicationBuilder builder,
        string serverName,
        string databaseName,
        bool stopAppHostOnFailure)
    {
        var settings = HelloDatabaseSettings.Read(builder.Configuration, builder.AppHostDirectory);
        // Each asked at most once, by whichever needs it first: auto mode's choice, the image check, the runtime's name.
        var probes = ContainerProbes.For(builder, settings.ImageReference);
        var choice = PostgresModeSelector.Choose(
            settings.Mode,
            builder.ExecutionContext.IsPublishMode ? settings.PublishAs : null,
            databaseName,
            hasConnectionString: !string.IsNullOrEmpty(builder.Configuration.GetConnectionString(databaseName)),
            () => probes.Runtime,
            healthy => probes.Image(healthy.Runtime!),
            () => PostgresInstallation.Find(settings.BinDirectory, PostgresInstallation.DefaultCandidates(), $"{HelloDatabaseSettings.SectionName}:BinDirectory"));

        var (database, dataLocation) = choice.Mode switch
        {
            // Published: a secret connection-string parameter that azd asks for (a managed server such as Azure Database for PostgreSQL).
            PostgresMode.Existing when builder.ExecutionContext.IsPublishMode => (builder.AddConnectionString(databaseName), $"the managed server in the secret parameter '{databaseName}'"),
            PostgresMode.Existing => (builder.AddExistingPostgresDatabase(databaseName).WithPsqlConsoleIf(settings.PsqlConsole, settings.BinDirectory), $"the server in ConnectionStrings:{databaseName}"),
            PostgresMode.Container => builder.AddContainerDatabase(serverName, databaseName, settings, probes, stopAppHostOnFailure),
            _ when OperatingSystem.IsWindows() => throw new DistributedApplicationException("Local mode runs on Linux and macOS only. Fix: use Postgres:Mode=container or existing."),
            _ => builder.AddLocalDatabase(serverName, databaseName, settings, choice.Installation!),
        };

        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            // Published with a managed server, Existing mode is that server: say so in the user's words.
            var mode = builder.ExecutionContext.IsPublishMode && settings.PublishAs == PublishTarget.Managed ? "Managed" : choice.Mode.ToString();
            var logger = Logger(e);
            LogModeChoice(logger, mode, choice.Reason, dataLocation);
            return Task.CompletedTask;
        });

        return database;
    }

    /// <summary>
    /// The seeding step where the database needs one (see <see cref="SeedStepExtensions.AddSeedStep"/>): a managed server
    /// when publishing, or an existing one with <c>Postgres:SeedExisting=true</c>. The project runs its seed task.
    /// </summary>
    public static IResourceBuilder<ProjectResource>? AddHelloSeedStep<TProject>(this IDistributedApplicationBuilder builder, string name, IResourceBuilder<IResourceWithConnectionString> database)
        where TProject : IProjectMetadata, new()
    {
        var settings = HelloDatabaseSettings.Read(builder.Configuration, builder.AppHostDirectory);
        var seed = builder.AddSeedStep<TProject>(name, database, seedExternalServer: builder.ExecutionContext.IsPublishMode || settings.SeedExisting)
            ?.WithEnvironment("Hello__Task", "Seed");
        // Running, the step applies the scripts where the AppHost finds them; deployed, the copy it ships with.
        return builder.ExecutionContext.IsRunMode
            ? seed?.WithEnvironment("Hello__SeedDirectory", settings.SeedDirectory)
            : seed;
    }

    private static (IResourceBuilder<IResourceWithConnectionString>, string DataLocation) AddContainerDatabase(
        this IDistributedApplicationBuilder builder, string serverName, string databaseName, HelloDatabaseSettings settings, ContainerProbes probes, bool stopAppHostOnFailure)
    {
        var server = builder.AddPostgres(serverName).WithConfiguredImage(settings.Image);
        if (builder.ExecutionContext.IsPublishMode)
        {
            return (server.AsDeployedContainer(settings).AddSeededDatabase(databaseName).WithAnnotation(PostgresDatabaseAnnotation.SeededByItsImage), "the container");
        }

        // PostgreSQL makes no TLS calls of its own: no host CA bundle or developer certificate copied into it.
        server.WithCertificateTrustScope(CertificateTrustScope.None)
            .WithPasswordFile()
            .WithLoopbackEndpoint();
        if (settings.PsqlConsole)
        {
            server.WithPsqlConsole(databaseName, () => probes.RuntimeName);
        }

        if (settings.Mode == PostgresMode.Container)
        {
            // Chosen explicitly: a runtime that cannot get the image stops the start with one line, instead of a pull
            // error in the container's log and clients that fail to start.
            builder.Eventing.Subscribe<BeforeStartEvent>((e, _) => EnsureImageCanBeHadAsync(e, probes));
        }

        if (settings.Lifetime == ServerLifetime.Persistent)
        {
            server.WithLifetime(ContainerLifetime.Persistent);
        }

        var volume = settings.TemporaryData ? null : server.WithResettableDataVolume(() => probes.RuntimeName);
        if (volume is null)
        {
            server.WithThrowawayData();
        }

        // Aspire waits without end on a container that never becomes healthy; this says why, and what to do.
        server.WithStartFailureReport(() => probes.RuntimeName, volume, ImageFix, stopAppHostOnFailure);
        return (server.AddSeededDatabase(databaseName).WithSeedScripts(settings.SeedDirectory, SeedDirectorySetting),
            volume is null ? $"a tmpfs at {PostgresContainerExtensions.DataPath} in the container (throwaway)" : $"the container volume {volume}");
    }

    /// <summary>An existing server's psql command, with the psql in Postgres:BinDirectory when it is set, else the one on the PATH.</summary>
    private static IResourceBuilder<ExistingPostgresDatabaseResource> WithPsqlConsoleIf(this IResourceBuilder<ExistingPostgresDatabaseResource> database, bool wanted, string? binDirectory) =>
        wanted ? database.WithPsqlConsole(binDirectory is null ? null : Path.Combine(binDirectory, "psql")) : database;

    /// <summary>The pinned tag on the official image, or on <c>Postgres:Image</c> (a registry and name, such as a mirror).</summary>
    private static IResourceBuilder<PostgresServerResource> WithConfiguredImage(this IResourceBuilder<PostgresServerResource> server, string? image)
    {
        if (image is null)
        {
            return server.WithImageTag(PostgresImageTag);
        }

        return ContainerImageProbe.HostOf(image) is { } host
            ? server.WithImageRegistry(host).WithImage(image[(host.Length + 1)..], PostgresImageTag)
            : server.WithImageRegistry("docker.io").WithImage(image, PostgresImageTag);
    }

    /// <summary>
    /// Refuses the start when the image surely cannot be had. A registry that is only slow to answer gets its chance:
    /// the pull goes ahead, and if it fails, the start failure report says so in one line.
    /// </summary>
    private static Task EnsureImageCanBeHadAsync(BeforeStartEvent e, ContainerProbes probes)
    {
        if (probes.Runtime is { IsHealthy: true, Runtime: { } name } && probes.Image(name) is { IsAvailable: false } image)
        {
            if (image.Unanswered)
            {
                var logger = Logger(e);
                LogImageUnanswered(logger, image.Description);
                return Task.CompletedTask;
            }

            throw new DistributedApplicationException(
                $"Postgres:Mode is container, but {image.Description}. " +
                "Fix: set Postgres:Image to an image you have or can pull (a mirror, for example mirror.example.com/library/postgres), or use Postgres:Mode=local.");
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// What a deployment (azd, Azure Container Apps) can run: the seed baked into the image instead of a bind mount of
    /// the host's seed/ (azd would have to upload it to a file share; compose and Kubernetes cannot at all), and no
    /// volume unless asked for: azd backs volumes with Azure Files, where initdb cannot chmod the data directory and
    /// stops (aspire#6671). Without a volume the data lives as long as the replica, and a new one is seeded afresh.
    /// </summary>
    private static IResourceBuilder<PostgresServerResource> AsDeployedContainer(this IResourceBuilder<PostgresServerResource> server, HelloDatabaseSettings settings)
    {
        server.WithDockerfile(settings.SeedDirectory, Path.GetFullPath(PublishDockerfile, server.ApplicationBuilder.AppHostDirectory))
            .WithBuildArg("POSTGRES_IMAGE", settings.Image ?? HelloDatabaseSettings.DefaultImage)
            .WithBuildArg("POSTGRES_TAG", PostgresImageTag);
        return settings.PublishDataVolume ? server.WithDataVolume() : server;
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static (IResourceBuilder<IResourceWithConnectionString>, string DataLocation) AddLocalDatabase(
        this IDistributedApplicationBuilder builder, string serverName, string databaseName, HelloDatabaseSettings settings, PostgresInstallation installation)
    {
        var dataDirectory = settings.TemporaryData
            ? Path.Combine(Path.GetTempPath(), $"helloaspire-{Guid.NewGuid():N}")
            : settings.DataDirectory ?? HelloDatabaseSettings.DefaultDataDirectory(builder, serverName);
        var server = builder.AddLocalPostgres(serverName, installation, dataDirectory, port: settings.Port, settingNames: HelloDatabaseSettings.LocalModeSettingNames)
            .WithResetDataCommand()
            .WithUseNewPasswordCommand();
        if (settings.TemporaryData)
        {
            server.WithThrowawayDataDurability()
                .WithDataDeletedOnStop();
        }

        if (settings.Lifetime == ServerLifetime.Persistent)
        {
            server.WithPersistentServer();
        }

        if (settings.InitTemplate)
        {
            server.WithInitTemplate(settings.TemplateDirectory);
        }

        if (settings.PsqlConsole)
        {
            server.WithPsqlConsole(databaseName);
        }

        return (server.AddDatabase(databaseName).WithSeedScripts(settings.SeedDirectory, SeedDirectorySetting), settings.TemporaryData ? $"{dataDirectory} (deleted on exit)" : dataDirectory);
    }

    private static ILogger Logger(BeforeStartEvent e) => e.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);

    [LoggerMessage(EventId = 901, Level = LogLevel.Information, Message = "PostgreSQL: {Mode} mode, because {Reason}. Data: {DataLocation}.")]
    private static partial void LogModeChoice(ILogger logger, string mode, string reason, string dataLocation);

    [LoggerMessage(EventId = 902, Level = LogLevel.Warning, Message = "PostgreSQL: {Description}; the pull is tried anyway, and a failure will be reported.")]
    private static partial void LogImageUnanswered(ILogger logger, string description);
}

using HelloAspire.AppHost.LocalPostgres;

namespace HelloAspire.AppHost.Database;

public static partial class HelloDatabaseBuilderExtensions
{
    /// <summary>
    /// The one place the PostgreSQL image is pinned (postgres/Dockerfile gets it as a build argument). A patched 17.x:
    /// 17.10 fixed eleven CVEs (four CVSS 8.8); 17 rather than the package's default 18.x, never "latest": 18 images
    /// use a new PGDATA layout (aspire#17907) and can pass the health check during their first-start restart (aspire#18540).
    /// </summary>
    public const string PostgresImageTag = "17.12";

    /// <summary>PGDATA in the pinned image (the official 17's, and the stand-in's).</summary>
    public const string ContainerDataPath = "/var/lib/postgresql/data";

    /// <summary>The deploy image's Dockerfile (the pinned image with the seed baked in), relative to the AppHost's directory.</summary>
    public const string PublishDockerfile = "../postgres/Dockerfile";

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
        // Each asked at most once, by whichever needs it first: auto mode's choice, the image check, the runtime's name.
        var probes = ContainerProbes.For(builder, settings.ImageReference);
        var choice = PostgresModeSelector.Choose(
            settings.Mode,
            builder.ExecutionContext.IsPublishMode ? settings.PublishAs : null,
            databaseName,
            hasConnectionString: !string.IsNullOrEmpty(builder.Configuration.GetConnectionString(databaseName)),
            () => probes.Runtime,
            healthy => probes.Image(healthy.Runtime!),
            () => PostgresInstallation.Find(settings.BinDirectory, PostgresInstallation.DefaultCandidates()));

        var (database, dataLocation) = choice.Mode switch
        {
            // Published: a secret connection-string parameter that azd asks for (a managed server such as Azure Database for PostgreSQL).
            PostgresMode.Existing when builder.ExecutionContext.IsPublishMode => (builder.AddConnectionString(databaseName), $"the managed server in the secret parameter '{databaseName}'"),
            PostgresMode.Existing => (builder.AddExistingPostgresDatabase(databaseName), $"the server in ConnectionStrings:{databaseName}"),
            PostgresMode.Container => builder.AddContainerDatabase(serverName, databaseName, settings, probes, checkImage: settings.Mode == PostgresMode.Container),
            _ when OperatingSystem.IsWindows() => throw new DistributedApplicationException("Local mode runs on Linux and macOS only. Fix: use Postgres:Mode=container or existing."),
            _ => builder.AddLocalDatabase(serverName, databaseName, settings, choice.Installation!),
        };

        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("HelloAspire.AppHost.Database");
            // Published with a managed server, Existing mode is that server: say so in the user's words.
            var mode = builder.ExecutionContext.IsPublishMode && settings.PublishAs == PublishTarget.Managed ? "Managed" : choice.Mode.ToString();
            LogModeChoice(logger, mode, choice.Reason, dataLocation);
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
        this IDistributedApplicationBuilder builder, string serverName, string databaseName, HelloDatabaseSettings settings, ContainerProbes probes, bool checkImage)
    {
        var server = builder.AddPostgres(serverName)
            .WithConfiguredImage(settings.Image)
            // The image runs the init scripts in POSTGRES_DB: without it they would land in 'postgres' (aspire#13712).
            .WithEnvironment("POSTGRES_DB", databaseName);
        if (builder.ExecutionContext.IsPublishMode)
        {
            return (server.AsDeployedContainer(settings).AddDatabase(databaseName), "the container");
        }

        server.WithInitFiles(settings.SeedDirectory)
            // PostgreSQL makes no TLS calls of its own: no host CA bundle or developer certificate copied into it.
            .WithCertificateTrustScope(CertificateTrustScope.None)
            .WithPasswordFile()
            // See Loopback: 127.0.0.1 itself, never "localhost".
            .WithEndpoint(server.Resource.PrimaryEndpoint.EndpointName, endpoint => endpoint.TargetHost = Loopback.Address);
        if (checkImage)
        {
            // Chosen explicitly: a runtime that cannot get the image stops the start with one line, instead of a pull
            // error in the container's log and clients that fail to start.
            builder.Eventing.Subscribe<BeforeStartEvent>((e, _) => EnsureImageCanBeHadAsync(e, probes, settings));
        }

        if (settings.Lifetime == ServerLifetime.Persistent)
        {
            server.WithLifetime(ContainerLifetime.Persistent);
        }

        var runtimeName = ContainerRuntimeProbe.RuntimeName(builder.Configuration, probes);
        var volume = settings.TemporaryData ? null : server.WithDataVolume().Resource.Annotations.OfType<ContainerMountAnnotation>().Single(m => m.Type == ContainerMountType.Volume).Source!;
        // Aspire waits without end on a container that never becomes healthy; this says why, and what to do.
        ContainerStartWatch.StartBeforeResources(builder, new(server.Resource, runtimeName, settings.ImageReference, volume, settings.SeedDirectory));
        if (volume is null)
        {
            // Throwaway data in RAM, not in the image's anonymous volume: nothing on disk, nothing left by a killed AppHost.
            server.WithContainerRuntimeArgs("--tmpfs", ContainerDataPath);
            return (server.AddDatabase(databaseName), $"a tmpfs at {ContainerDataPath} in the container (throwaway)");
        }

        server.WithResetDataCommand($"the volume '{volume}'", cancellationToken => ContainerVolumes.EmptyAsync(runtimeName.Value, settings.ImageReference, volume, cancellationToken));
        return (server.AddDatabase(databaseName), $"the container volume {volume}");
    }

    /// <summary>Where the password file is in the container, and who reads it: the postgres account of the official image (and the stand-in's).</summary>
    private const string PasswordFile = "/run/secrets/postgres-password";
    private const int ImagePostgresUserId = 999;

    /// <summary>
    /// The password reaches the server as a file that the image reads (<c>POSTGRES_PASSWORD_FILE</c>), which DCP copies
    /// into the container through the runtime's <c>cp</c> on standard input: never as <c>-e POSTGRES_PASSWORD=…</c> on
    /// the runtime's command line, which every local user can read while it runs, and which the container keeps in
    /// its configuration. Running only: a deployment passes the password as its platform's secret.
    /// </summary>
    private static IResourceBuilder<PostgresServerResource> WithPasswordFile(this IResourceBuilder<PostgresServerResource> server) =>
        server
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables.Remove("POSTGRES_PASSWORD");
                context.EnvironmentVariables["POSTGRES_PASSWORD_FILE"] = PasswordFile;
            })
            .WithContainerFiles(Path.GetDirectoryName(PasswordFile)!, async (_, cancellationToken) =>
            [
                new ContainerFile
                {
                    Name = Path.GetFileName(PasswordFile),
                    Contents = await server.Resource.PasswordParameter.GetValueAsync(cancellationToken),
                    Owner = ImagePostgresUserId,
                    Group = ImagePostgresUserId,
                    Mode = UnixFileMode.UserRead,
                },
            ]);

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
    /// the pull goes ahead, and if it fails, <see cref="ContainerStartWatch"/> says so in one line.
    /// </summary>
    private static Task EnsureImageCanBeHadAsync(BeforeStartEvent e, ContainerProbes probes, HelloDatabaseSettings settings)
    {
        if (probes.Runtime is { IsHealthy: true, Runtime: { } name } && probes.Image(name) is { IsAvailable: false } image)
        {
            if (image.Unanswered)
            {
                LogImageUnanswered(e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("HelloAspire.AppHost.Database"), image.Description);
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
        var server = builder.AddLocalPostgres(serverName, installation, dataDirectory, port: settings.Port)
            .WithInitFiles(settings.SeedDirectory);
        server.WithResetDataCommand($"'{server.Resource.Data.PgData}'", server.Resource.ThrowAwayDataAsync);
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

        return (server.AddDatabase(databaseName), settings.TemporaryData ? $"{dataDirectory} (deleted on exit)" : dataDirectory);
    }

    [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "PostgreSQL: {Description}; the pull is tried anyway, and a failure will be reported.")]
    private static partial void LogImageUnanswered(ILogger logger, string description);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "PostgreSQL: {Mode} mode, because {Reason}. Data: {DataLocation}.")]
    private static partial void LogModeChoice(ILogger logger, string mode, string reason, string dataLocation);
}

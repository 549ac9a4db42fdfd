using System.Runtime.Versioning;
using HelloAspire.Hosting.LocalPostgres.Cluster;
using HelloAspire.Hosting.LocalPostgres.Lifecycle;
using HelloAspire.Hosting.LocalPostgres.Unix;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>Adds a PostgreSQL server that runs from the host's binaries, for machines without a container runtime.</summary>
[UnsupportedOSPlatform("windows")]
public static class LocalPostgresBuilderExtensions
{
    /// <summary>
    /// Adds a local PostgreSQL server: initdb (scram-sha-256, the generated password) on the first start, then the
    /// server on 127.0.0.1 with its unix socket in a private directory, started and stopped by DCP.
    /// Running as root, it runs as the <c>postgres</c> account.
    /// </summary>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="name">The resource name; also the prefix of the generated password parameter.</param>
    /// <param name="installation">The server binaries (see <see cref="PostgresInstallation.Find"/>).</param>
    /// <param name="dataDirectory">Where the data lives; it outlives the AppHost. A folder this integration did not make is refused.</param>
    /// <param name="password">The superuser password; null generates one and keeps it in the AppHost's user secrets.</param>
    /// <param name="port">The host port; null lets Aspire choose a free one.</param>
    /// <param name="settingNames">What the fixes in the server's messages name; null names the arguments above.</param>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder,
        [ResourceName] string name,
        PostgresInstallation installation,
        string dataDirectory,
        IResourceBuilder<ParameterResource>? password = null,
        int? port = null,
        LocalPostgresSettingNames? settingNames = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(installation);
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        settingNames ??= new();
        var passwordParameter = password?.Resource ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password");
        var account = ServerAccount.Resolve();
        var data = new LocalPostgresDataDirectory(dataDirectory, settingNames);
        var server = new LocalPostgresServerResource(name, passwordParameter, installation, data, account, settingNames);

        if (builder.ExecutionContext.IsRunMode)
        {
            // A folder that is not this integration's, or a second AppHost on the same data, stops the start here,
            // before DCP starts or the dashboard binds its ports, and before anything in the folder changes.
            data.EnsureUsable(account);
            new LocalPostgresDataLock(data, settingNames).EnsureFree();
        }

        // Owns each server's lock and starts; prepares the first start (initdb, seed) while DCP and the dashboard start.
        builder.Services.TryAddSingleton<LocalPostgresRuntime>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LocalPostgresRuntime>(s => s.GetRequiredService<LocalPostgresRuntime>()));

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, s => new LocalPostgresHealthCheck(server, s.GetRequiredService<LocalPostgresRuntime>()), failureStatus: null, tags: null));

        return builder.AddResource(server)
            .WithArgs(context =>
            {
                foreach (var argument in account.ServerCommand(installation.Postgres, server.ServerArguments()).Arguments)
                {
                    context.Args.Add(argument);
                }

                // On the command line, not in PGPORT: the server's environment is cleared (see ServerAccount.ServerCommand).
                context.Args.Add("-p");
                context.Args.Add(server.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithEndpoint(port: port, scheme: "tcp", name: LocalPostgresServerResource.PrimaryEndpointName)
            // See Loopback: 127.0.0.1 itself, never "localhost".
            .WithEndpoint(LocalPostgresServerResource.PrimaryEndpointName, endpoint => endpoint.TargetHost = Loopback.Address)
            .WithHealthCheck(healthCheckKey)
            .WithIconName("DatabaseMultiple")
            .OnBeforeResourceStarted(static (server, e, cancellationToken) =>
                e.Services.GetRequiredService<LocalPostgresRuntime>().BeforeServerStartsAsync(server, cancellationToken))
            .ExcludeFromManifest();
    }

    /// <summary>
    /// Trades durability for speed (fsync, synchronous_commit and full_page_writes off): for throwaway data only,
    /// as Testcontainers does. Kept data must stay durable.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> WithThrowawayDataDurability(this IResourceBuilder<LocalPostgresServerResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.Durable = false;
        return builder;
    }

    /// <summary>
    /// New data directories start as a copy of an initialized template cluster in <paramref name="directory"/> (made
    /// once, by initdb, the first time one is needed) instead of running initdb each time. Null keeps them in the
    /// user's cache (<c>$XDG_CACHE_HOME</c>, else <c>~/.cache</c>; <c>/var/cache</c> for root).
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> WithInitTemplate(this IResourceBuilder<LocalPostgresServerResource> builder, string? directory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.Template = new ClusterTemplate(Path.GetFullPath(directory ?? ClusterTemplate.DefaultDirectory()), builder.Resource);
        return builder;
    }

    /// <summary>
    /// The server keeps running when the AppHost stops, and the next run adopts it instead of starting one (the data
    /// lock and the password check still come first). It rests on DCP's persistent executables, an experimental
    /// Aspire API whose contract is a fixed port and no proxy: Aspire keeps the port it chose in the AppHost's user
    /// secrets. Stopping the server from the dashboard (or <c>aspire resource postgres stop</c>) stops it for good; a
    /// run without this setting stops a kept server before it starts its own.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> WithPersistentServer(this IResourceBuilder<LocalPostgresServerResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.Persistent = true;
#pragma warning disable ASPIREPERSISTENCE001 // Experimental: the tests pin what this app relies on (adoption, stop, restart).
        return builder.WithPersistentLifetime();
#pragma warning restore ASPIREPERSISTENCE001
    }

    /// <summary>For throwaway data: deletes the whole data directory once the AppHost has stopped the server.</summary>
    public static IResourceBuilder<LocalPostgresServerResource> WithDataDeletedOnStop(this IResourceBuilder<LocalPostgresServerResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.DeleteDataOnStop = true;
        return builder;
    }

    /// <summary>
    /// The <see cref="ResetDataCommand"/>: the server stopped, what a first start made thrown away (nothing else in the
    /// data directory), and the server started again, initialized and seeded as on a first start.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> WithResetDataCommand(this IResourceBuilder<LocalPostgresServerResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithResetDataCommand($"'{builder.Resource.Data.PgData}'", builder.Resource.ThrowAwayDataAsync);
    }

    /// <summary>
    /// The <see cref="UseNewPasswordCommand"/>: after <c>Parameters:…-password</c> changed, the kept data takes the new
    /// password (single-user mode on the stopped data) instead of refusing every start.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> WithUseNewPasswordCommand(this IResourceBuilder<LocalPostgresServerResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithUseNewPasswordCommand($"'{builder.Resource.Data.PgData}'", builder.Resource.PasswordParameter, builder.Resource.TakeNewPasswordAsync);
    }

    /// <summary>Adds a database, created on start when missing (seeded with <see cref="SeedScriptsExtensions.WithSeedScripts"/>).</summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> builder,
        [ResourceName] string name,
        string? databaseName = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        databaseName ??= name;
        builder.Resource.AddDatabase(name, databaseName);
        var database = new LocalPostgresDatabaseResource(name, databaseName, builder.Resource);
        builder.Resource.DatabaseResources.Add(database);

        return builder.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.NotStarted,
                Properties = [new(CustomResourceKnownProperties.Source, builder.Resource.Name)],
            })
            .WithIconName("Database")
            .WithAnnotation(PostgresDatabaseAnnotation.RunByTheApp)
            // Each start reads the history as the server becomes ready: the seed rule's check then connects only when something is new.
            .WithAnnotation(new SeedHistoryAtStartAnnotation(services =>
                services.GetRequiredService<LocalPostgresRuntime>().CurrentStart(database.Parent)?.SeedHistoryAtStart(database.DatabaseName)))
            // DCP reports state for the server process only; the database follows it so that WaitFor(db) works.
            .OnInitializeResource(static (database, e, cancellationToken) =>
            {
                _ = FollowParentStateAsync(database, e.Notifications, cancellationToken);
                return Task.CompletedTask;
            })
            .ExcludeFromManifest();
    }

    private static async Task FollowParentStateAsync(LocalPostgresDatabaseResource database, ResourceNotificationService notifications, CancellationToken cancellationToken)
    {
        try
        {
            // Only a change of the server's state: its health and details change too while it runs, and the database
            // may have a state of its own meanwhile (its seed failed), which a copy of the same "Running" would hide.
            string? followed = null;
            await foreach (var update in notifications.WatchAsync(cancellationToken))
            {
                if (ReferenceEquals(update.Resource, database.Parent) && update.Snapshot.State?.Text != followed)
                {
                    followed = update.Snapshot.State?.Text;
                    await notifications.PublishUpdateAsync(database, s => s with
                    {
                        State = update.Snapshot.State,
                        StartTimeStamp = update.Snapshot.StartTimeStamp,
                        StopTimeStamp = update.Snapshot.StopTimeStamp,
                    });
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }
}

using HelloAspire.Hosting.PostgreSQL;

namespace Aspire.Hosting;

/// <summary>
/// Add-ons to Aspire's PostgreSQL container (<c>AddPostgres</c>) for running it on a developer's machine: the seeded
/// database, the password as a file, loopback only, throwaway data in RAM, a reset of the data, and a failed start
/// said in one line.
/// </summary>
public static class PostgresContainerExtensions
{
    /// <summary>PGDATA in the official image (and in images built on it).</summary>
    public const string DataPath = "/var/lib/postgresql/data";

    /// <summary>Where the password file is in the container, and who reads it: the official image's postgres account.</summary>
    private const string PasswordFile = "/run/secrets/postgres-password";
    private const int ImagePostgresUserId = 999;

    /// <summary>
    /// Adds the database the image's init scripts run in (<c>POSTGRES_DB</c>: without it they would land in
    /// 'postgres', aspire#13712), marked as run by the app (<see cref="PostgresDatabaseAnnotation.RunByTheApp"/>).
    /// </summary>
    public static IResourceBuilder<PostgresDatabaseResource> AddSeededDatabase(this IResourceBuilder<PostgresServerResource> server, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return server.WithEnvironment("POSTGRES_DB", name)
            .AddDatabase(name)
            .WithAnnotation(PostgresDatabaseAnnotation.RunByTheApp);
    }

    /// <summary>
    /// Running: the password reaches the server as a file that the image reads (<c>POSTGRES_PASSWORD_FILE</c>), which
    /// DCP copies into the container through the runtime's <c>cp</c> on standard input: never as
    /// <c>-e POSTGRES_PASSWORD=…</c> on the runtime's command line, which every local user can read while it runs and
    /// the container keeps in its configuration. A deployment passes the password as its platform's secret.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> WithPasswordFile(this IResourceBuilder<PostgresServerResource> server)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!server.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return server;
        }

        return server
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
    }

    /// <summary>The server's port on 127.0.0.1 itself, never "localhost" (see <see cref="Loopback"/>).</summary>
    public static IResourceBuilder<PostgresServerResource> WithLoopbackEndpoint(this IResourceBuilder<PostgresServerResource> server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return server.WithEndpoint(server.Resource.PrimaryEndpoint.EndpointName, endpoint => endpoint.TargetHost = Loopback.Address);
    }

    /// <summary>Throwaway data in RAM (a tmpfs at PGDATA), not in the image's anonymous volume: nothing on disk, nothing left by a killed AppHost.</summary>
    public static IResourceBuilder<PostgresServerResource> WithThrowawayData(this IResourceBuilder<PostgresServerResource> server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return server.WithContainerRuntimeArgs("--tmpfs", DataPath);
    }

    /// <summary>
    /// A data volume (Aspire's <c>WithDataVolume</c>) with the <see cref="ResetDataCommand"/> that empties it; returns
    /// the volume's name.
    /// </summary>
    /// <param name="server">The container.</param>
    /// <param name="runtimeName">docker or podman, asked only when a reset runs.</param>
    public static string WithResettableDataVolume(this IResourceBuilder<PostgresServerResource> server, Func<string> runtimeName)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(runtimeName);
        var volume = server.WithDataVolume().Resource.Annotations.OfType<ContainerMountAnnotation>().Single(m => m.Type == ContainerMountType.Volume).Source!;
        server.WithResetDataCommand($"the volume '{volume}'", cancellationToken =>
            ContainerVolumes.EmptyAsync(runtimeName(), ImageReferenceOf(server.Resource), volume, server.Resource.Name, cancellationToken));
        server.WithUseNewPasswordCommand($"the volume '{volume}'", server.Resource.PasswordParameter, cancellationToken =>
            TakeNewPasswordAsync(server.Resource, runtimeName(), volume, cancellationToken));
        return volume;
    }

    /// <summary>
    /// The <see cref="UseNewPasswordCommand"/>'s step on a stopped container's volume: the image's postgres in
    /// single-user mode, as the image's postgres account, with no network, the statement on its standard input.
    /// </summary>
    private static async Task TakeNewPasswordAsync(PostgresServerResource server, string runtime, string volume, CancellationToken cancellationToken)
    {
        var password = await PasswordParameterValue.RequiredAsync(server.PasswordParameter, message => new DistributedApplicationException(message), cancellationToken);
        var (arguments, input) = UseNewPasswordCommand.SingleUserRun(DataPath, await server.UserNameReference.GetValueAsync(cancellationToken) ?? "postgres", password);
        var errors = await ContainerVolumes.RunOnAsync(runtime, ImageReferenceOf(server), volume, DataPath, $"{ImagePostgresUserId}:{ImagePostgresUserId}", "postgres",
            arguments, input, server.Name, cancellationToken);
        if (UseNewPasswordCommand.Failed(errors))
        {
            throw new DistributedApplicationException($"Single-user mode could not set the password in the volume '{volume}': {errors.Trim()} Fix: see {server.Name}'s log; the data is unchanged.");
        }
    }

    /// <summary>
    /// A start that fails before the server is ready is one error line with the cause and the fix (see
    /// <see cref="ContainerStartWatch"/>). Kept data that refuses the password is reported by the Use new password
    /// command that <see cref="WithResettableDataVolume"/> adds, as in local mode.
    /// </summary>
    /// <param name="server">The container.</param>
    /// <param name="runtimeName">docker or podman, asked only when a report needs it.</param>
    /// <param name="volume">The data volume; null for throwaway data.</param>
    /// <param name="imageFix">What to do about an image the runtime cannot run, in the app's words.</param>
    /// <param name="stopAppHostOnFailure">End the AppHost (exit code 1) on such a failure: for a run that should end by itself.</param>
    public static IResourceBuilder<PostgresServerResource> WithStartFailureReport(
        this IResourceBuilder<PostgresServerResource> server, Func<string> runtimeName, string? volume, string imageFix, bool stopAppHostOnFailure)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(runtimeName);
        ArgumentException.ThrowIfNullOrEmpty(imageFix);
        ContainerStartWatch.StartBeforeResources(server.ApplicationBuilder,
            new(server.Resource, runtimeName, ImageReferenceOf(server.Resource), volume, imageFix, stopAppHostOnFailure));
        return server;
    }

    /// <summary>The image the container runs, as its runtime names it: registry, name and tag.</summary>
    private static string ImageReferenceOf(PostgresServerResource server) =>
        server.Annotations.OfType<ContainerImageAnnotation>().Last() is var image && image.Registry is { Length: > 0 } registry
            ? $"{registry}/{image.Image}:{image.Tag}"
            : $"{image.Image}:{image.Tag}";
}

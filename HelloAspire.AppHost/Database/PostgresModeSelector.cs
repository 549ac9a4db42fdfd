namespace HelloAspire.AppHost.Database;

/// <summary>The decision behind <c>Postgres:Mode</c>, and the reason for it, which the AppHost logs at start.</summary>
public sealed record PostgresModeChoice(PostgresMode Mode, string Reason, PostgresInstallation? Installation = null);

public static class PostgresModeSelector
{
    /// <summary>
    /// Chooses where PostgreSQL comes from (<paramref name="publishing"/>: what publishing deploys; null when running). The probes are only called when the answer depends on them,
    /// so a configured mode costs nothing.
    /// </summary>
    public static PostgresModeChoice Choose(
        PostgresMode requested,
        PublishTarget? publishing,
        string databaseName,
        bool hasConnectionString,
        Func<ContainerRuntimeProbe> probeContainerRuntime,
        Func<ContainerRuntimeProbe, ContainerImageProbe> probeImage,
        Func<PostgresInstallation?> findInstallation)
    {
        switch (publishing)
        {
            case PublishTarget.Container:
                return new(PostgresMode.Container, "publishing deploys the PostgreSQL container (Postgres:PublishAs is container)");
            case PublishTarget.Managed:
                return new(PostgresMode.Existing, "Postgres:PublishAs is managed: a server you provide, by a secret connection string, seeded by the seeding step");
        }

        switch (requested)
        {
            case PostgresMode.Container:
                return new(PostgresMode.Container, "Postgres:Mode is container");
            case PostgresMode.Existing:
                return hasConnectionString
                    ? new(PostgresMode.Existing, $"Postgres:Mode is existing")
                    : throw new DistributedApplicationException(
                        $"Postgres:Mode is existing, but ConnectionStrings:{databaseName} is not set. " +
                        $"Fix: dotnet user-secrets set ConnectionStrings:{databaseName} \"Host=...;Port=5432;Username=...;Password=...;Database={databaseName}\" --project HelloAspire.AppHost");
            case PostgresMode.Local:
                return findInstallation() is { } installation
                    ? new(PostgresMode.Local, "Postgres:Mode is local", installation)
                    : throw new DistributedApplicationException(
                        $"Postgres:Mode is local, but no PostgreSQL server binaries were found ({SearchedPlaces}). " +
                        $"Fix: {InstallFix}, or set Postgres:BinDirectory.");
        }

        if (hasConnectionString)
        {
            return new(PostgresMode.Existing, $"ConnectionStrings:{databaseName} is set");
        }

        // A runtime counts only if it can get the image: running Docker or Podman without a reachable registry would
        // leave both clients failing to start with no word about the image.
        var runtime = probeContainerRuntime();
        var image = runtime.IsHealthy ? probeImage(runtime) : null;
        if (image is { IsAvailable: true })
        {
            return new(PostgresMode.Container, $"{runtime.Description} and {image.Description}");
        }

        var noContainer = image is null ? $"no healthy container runtime ({runtime.Description})" : $"{runtime.Description}, but {image.Description}";
        if (!OperatingSystem.IsWindows() && findInstallation() is { } found)
        {
            return new(PostgresMode.Local, $"{noContainer}; using {found.BinDirectory}", found);
        }

        throw new DistributedApplicationException(
            $"No PostgreSQL to run: {noContainer}, and no PostgreSQL server binaries ({SearchedPlaces}). Fix one of:" + Environment.NewLine +
            (image is null ? "  1. start Docker or Podman;" : "  1. set Postgres:Image to an image you have or can pull (a mirror);") + Environment.NewLine +
            $"  2. {InstallFix} (or set Postgres:BinDirectory);" + Environment.NewLine +
            $"  3. use a server you already have: dotnet user-secrets set ConnectionStrings:{databaseName} \"Host=...;Username=...;Password=...;Database={databaseName}\" --project HelloAspire.AppHost");
    }

    private const string SearchedPlaces = "looked at pg_config --bindir and " + PostgresInstallation.DebianSearchPattern;

    private const string InstallFix = "install the server binaries: sudo apt-get install postgresql (Debian, Ubuntu)";
}

/// <summary>Where the app's PostgreSQL comes from; the <c>Postgres:Mode</c> setting.</summary>
public enum PostgresMode
{
    /// <summary>Existing if its connection string is set, else container if a runtime is healthy, else local.</summary>
    Auto,

    /// <summary>Aspire's PostgreSQL container (always used to publish).</summary>
    Container,

    /// <summary>The host's PostgreSQL server binaries, run by DCP.</summary>
    Local,

    /// <summary>A server that already runs, named by <c>ConnectionStrings:&lt;database&gt;</c>; nothing is started.</summary>
    Existing,
}

/// <summary>What publishing deploys for the database; the <c>Postgres:PublishAs</c> setting.</summary>
public enum PublishTarget
{
    /// <summary>PostgreSQL as a container built from postgres/Dockerfile (the seed baked in), deployed with the app.</summary>
    Container,

    /// <summary>No PostgreSQL container: a server you provide (such as Azure Database for PostgreSQL), given as a secret connection string and seeded by the seeding step.</summary>
    Managed,
}

/// <summary>Whether the server stops with the AppHost; the <c>Postgres:Lifetime</c> setting (Aspire's own word for it).</summary>
public enum ServerLifetime
{
    /// <summary>Started with the AppHost and stopped with it.</summary>
    Session,

    /// <summary>Kept running when the AppHost stops; the next run adopts it instead of starting one (local and container modes).</summary>
    Persistent,
}

namespace HelloAspire.AppHost.Database;

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

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

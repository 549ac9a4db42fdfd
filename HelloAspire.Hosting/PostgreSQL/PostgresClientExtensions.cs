namespace Aspire.Hosting;

/// <summary>How a client is given a PostgreSQL database: as its one connection string, or as libpq's <c>PG*</c> variables.</summary>
public static class PostgresClientExtensions
{
    /// <summary>
    /// Gives a .NET client the database as its one connection string, <c>ConnectionStrings__&lt;name&gt;</c>, and
    /// nothing else of it (Aspire's <c>WithReference</c> would add the connection's parts, the password among them, as
    /// more variables the client never reads, which a deployment shows in plain text). A server the app runs itself
    /// accepts SCRAM only, so the client is told to insist on it: a listener that asks for the password in clear
    /// (another local user on the same port of another loopback address, say) gets nothing.
    /// </summary>
    public static IResourceBuilder<T> WithConnectionString<T>(this IResourceBuilder<T> client, IResourceBuilder<IResourceWithConnectionString> database)
        where T : IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(database);
        var name = $"ConnectionStrings__{database.Resource.Name}";
        return (PostgresDatabaseAnnotation.Of(database.Resource).ServerRunByTheApp
                ? client.WithEnvironment(name, ReferenceExpression.Create($"{database.Resource};Require Auth=ScramSHA256"))
                : client.WithEnvironment(name, database))
            .WithReferenceRelationship(database.Resource);
    }

    /// <summary>
    /// Gives a libpq client (node-postgres, psql, anything that reads PG*) the database as
    /// <c>PGHOST</c>, <c>PGPORT</c>, <c>PGUSER</c>, <c>PGPASSWORD</c> and <c>PGDATABASE</c>: the compose file's
    /// environment block, built from the database resource's connection properties, so it follows every mode and
    /// every allocated port, and publishes as expressions (the password as its secret parameter). For a server the app
    /// runs, <c>PGREQUIREAUTH=scram-sha-256</c> too (libpq 16's name: the client insists on SCRAM).
    /// </summary>
    public static IResourceBuilder<T> WithPostgresEnvironment<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResourceWithConnectionString> database)
        where T : IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(database);
        var properties = database.Resource.GetConnectionProperties().ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
        if (properties.Count == 0)
        {
            // A managed server is one secret connection string (a parameter), which a manifest cannot take apart: the
            // client gets it as ConnectionStrings__<name> and derives its PG* variables from it at start.
            return builder.WithEnvironment($"ConnectionStrings__{database.Resource.Name}", database);
        }

        ReferenceExpression Property(string name) =>
            properties.TryGetValue(name, out var value)
                ? value
                : throw new DistributedApplicationException(
                    $"'{database.Resource.Name}' has no '{name}' connection property, so PG* variables cannot be built for '{builder.Resource.Name}'. " +
                    "Fix: reference a PostgreSQL database resource (AddPostgres(…).AddDatabase, AddLocalPostgres(…).AddDatabase, or AddExistingPostgresDatabase).");

        var variables = new Dictionary<string, object>
        {
            ["PGHOST"] = Property("Host"),
            ["PGPORT"] = Property("Port"),
            ["PGUSER"] = Property("Username"),
            ["PGPASSWORD"] = Property("Password"),
            ["PGDATABASE"] = Property("DatabaseName"),
        };
        if (PostgresDatabaseAnnotation.Of(database.Resource).ServerRunByTheApp)
        {
            variables["PGREQUIREAUTH"] = "scram-sha-256";
        }

        return builder.WithEnvironment(context =>
        {
            foreach (var (name, value) in variables)
            {
                context.EnvironmentVariables[name] = value;
            }
        });
    }
}

namespace HelloAspire.AppHost.Database;

public static class PostgresEnvironmentExtensions
{
    /// <summary>
    /// Gives a libpq client (node-postgres, psql, anything that reads PG*) the database as
    /// <c>PGHOST</c>, <c>PGPORT</c>, <c>PGUSER</c>, <c>PGPASSWORD</c> and <c>PGDATABASE</c>: the compose file's
    /// environment block, built from the database resource's connection properties, so it follows every mode and
    /// every allocated port, and publishes as expressions (the password as its secret parameter).
    /// </summary>
    public static IResourceBuilder<T> WithPostgresEnvironment<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResourceWithConnectionString> database)
        where T : IResourceWithEnvironment
    {
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

        var variables = new Dictionary<string, ReferenceExpression>
        {
            ["PGHOST"] = Property("Host"),
            ["PGPORT"] = Property("Port"),
            ["PGUSER"] = Property("Username"),
            ["PGPASSWORD"] = Property("Password"),
            ["PGDATABASE"] = Property("DatabaseName"),
        };

        return builder.WithEnvironment(context =>
        {
            foreach (var (name, value) in variables)
            {
                context.EnvironmentVariables[name] = value;
            }
        });
    }
}

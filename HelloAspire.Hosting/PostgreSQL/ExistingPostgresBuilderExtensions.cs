namespace Aspire.Hosting;

/// <summary>Adds a database on a PostgreSQL server that already runs (the tutorial's "database on the host").</summary>
public static class ExistingPostgresBuilderExtensions
{
    /// <summary>
    /// The database in <c>ConnectionStrings:&lt;name&gt;</c>, used as it is: running at once, nothing started, nothing
    /// published (a deployment gets its own connection string).
    /// </summary>
    public static IResourceBuilder<ExistingPostgresDatabaseResource> AddExistingPostgresDatabase(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var connectionString = builder.Configuration.GetConnectionString(name) is { Length: > 0 } configured
            ? configured
            : throw new DistributedApplicationException($"ConnectionStrings:{name} is not set.");
        return builder.AddResource(new ExistingPostgresDatabaseResource(name, connectionString))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Running,
                Properties = [new(CustomResourceKnownProperties.Source, $"ConnectionStrings:{name}")],
            })
            .WithIconName("Database")
            .WithAnnotation(PostgresDatabaseAnnotation.External)
            .ExcludeFromManifest();
    }
}

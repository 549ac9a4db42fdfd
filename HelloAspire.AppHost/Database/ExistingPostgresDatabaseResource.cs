using Npgsql;

namespace HelloAspire.AppHost.Database;

/// <summary>
/// A database on a server that already runs (the tutorial's "database on the host"): nothing is started, and its
/// connection properties come from Npgsql's own parser of the configured connection string.
/// </summary>
public sealed class ExistingPostgresDatabaseResource : Resource, IResourceWithConnectionString
{
    private readonly NpgsqlConnectionStringBuilder _connection;

    public ExistingPostgresDatabaseResource(string name, string connectionString) : base(name)
    {
        try
        {
            _connection = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new DistributedApplicationException(
                $"ConnectionStrings:{name} is not a PostgreSQL connection string ({ex.Message}). Fix: use the form Host=…;Port=5432;Username=…;Password=…;Database=….", ex);
        }

        ConnectionStringExpression = ReferenceExpression.Create($"{connectionString}");
    }

    public ReferenceExpression ConnectionStringExpression { get; }

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties() =>
    [
        new("Host", Literal(_connection.Host)),
        new("Port", Literal(_connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        new("Username", Literal(_connection.Username)),
        new("Password", Literal(_connection.Password)),
        new("DatabaseName", Literal(_connection.Database ?? _connection.Username)),
    ];

    private static ReferenceExpression Literal(string? value) => ReferenceExpression.Create($"{value ?? ""}");
}

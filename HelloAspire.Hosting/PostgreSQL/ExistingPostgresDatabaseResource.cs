using Npgsql;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A database on a server that already runs (the tutorial's "database on the host"): nothing is started, and its
/// connection properties come from Npgsql's own parser of the configured connection string.
/// </summary>
public sealed class ExistingPostgresDatabaseResource : Resource, IResourceWithConnectionString
{
    private readonly NpgsqlConnectionStringBuilder _connection;

    public ExistingPostgresDatabaseResource([ResourceName] string name, string connectionString) : base(name)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
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

    /// <summary>The database the connection string names (Npgsql's default: the user's name).</summary>
    public string DatabaseName => _connection.Database ?? _connection.Username ?? "postgres";

    // Npgsql's defaults where the connection string names no host, as a libpq client and the connection properties take them.
    private string Host => _connection.Host ?? "localhost";

    private string Port => _connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The connection string as libpq's PG* variables, for a libpq client such as psql.</summary>
    internal Dictionary<string, string> LibpqVariables()
    {
        var variables = new Dictionary<string, string>
        {
            ["PGHOST"] = Host,
            ["PGPORT"] = Port,
            ["PGDATABASE"] = DatabaseName,
            ["PGSSLMODE"] = _connection.SslMode switch
            {
                SslMode.Disable => "disable",
                SslMode.Allow => "allow",
                SslMode.Require => "require",
                SslMode.VerifyCA => "verify-ca",
                SslMode.VerifyFull => "verify-full",
                _ => "prefer",
            },
        };
        if (_connection.Username is { } user)
        {
            variables["PGUSER"] = user;
        }

        if (_connection.Password is { } password)
        {
            variables["PGPASSWORD"] = password;
        }

        // Where the connection string names them; libpq's own defaults otherwise (~/.pgpass, ~/.postgresql/root.crt).
        if (_connection.Passfile is { Length: > 0 } passfile)
        {
            variables["PGPASSFILE"] = passfile;
        }

        if (_connection.RootCertificate is { Length: > 0 } rootCertificate)
        {
            variables["PGSSLROOTCERT"] = rootCertificate;
        }

        return variables;
    }

    /// <summary>The same keys as Aspire's <c>PostgresDatabaseResource</c>, so a client is wired alike in every mode.</summary>
    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties()
    {
        var host = Host;
        var port = Port;
        var database = _connection.Database ?? _connection.Username ?? "";
        var authority = $"{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : Uri.EscapeDataString(host))}:{port}";
        var credentials = $"{Uri.EscapeDataString(_connection.Username ?? "")}:{Uri.EscapeDataString(_connection.Password ?? "")}@";
        return
        [
            new("Host", Literal(host)),
            new("Port", Literal(port)),
            new("Username", Literal(_connection.Username)),
            new("Password", Literal(_connection.Password)),
            new("DatabaseName", Literal(database)),
            new("Uri", Literal($"postgresql://{credentials}{authority}/{Uri.EscapeDataString(database)}")),
            new("JdbcConnectionString", Literal($"jdbc:postgresql://{authority}/{Uri.EscapeDataString(database)}")),
        ];
    }

    private static ReferenceExpression Literal(string? value) => ReferenceExpression.Create($"{value ?? ""}");
}

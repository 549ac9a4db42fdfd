using System.Runtime.Versioning;
using HelloAspire.Hosting.LocalPostgres.Cluster;
using HelloAspire.Hosting.LocalPostgres.Unix;
using HelloAspire.Hosting.PostgreSQL;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A PostgreSQL server run from the host's binaries as an executable that DCP starts, stops and restarts.
/// Its connection properties match Aspire's container <c>PostgresServerResource</c>, so clients cannot tell them apart.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class LocalPostgresServerResource : ExecutableResource, IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";
    public const string UserName = "postgres";

    private readonly Dictionary<string, string> _databases = new(StringComparer.OrdinalIgnoreCase);

    internal LocalPostgresServerResource(
        string name,
        ParameterResource password,
        PostgresInstallation installation,
        LocalPostgresDataDirectory data,
        ServerAccount account,
        LocalPostgresSettingNames settingNames)
        : base(name, account.ServerCommand(installation.Postgres, []).Command, data.Root)
    {
        PasswordParameter = password;
        Installation = installation;
        Data = data;
        Account = account;
        SettingNames = settingNames;
        PrimaryEndpoint = new(this, PrimaryEndpointName);
    }

    public ParameterResource PasswordParameter { get; }

    public PostgresInstallation Installation { get; }

    /// <summary>The folder the data lives in: <c>pgdata/</c> (PGDATA), the server's socket folder, and the integration's own files.</summary>
    public string DataDirectory => Data.Root;

    internal LocalPostgresDataDirectory Data { get; }

    internal ServerAccount Account { get; }

    /// <summary>What the fixes in this server's messages name (see <see cref="LocalPostgresSettingNames"/>).</summary>
    internal LocalPostgresSettingNames SettingNames { get; }

    /// <summary>Off only for throwaway data: no fsync, so tests start faster. Kept data is always durable.</summary>
    public bool Durable { get; internal set; } = true;

    /// <summary>Throwaway data: the whole data directory is deleted once the AppHost has stopped the server.</summary>
    public bool DeleteDataOnStop { get; internal set; }

    /// <summary>Where new data directories are copied from instead of running initdb; null runs initdb every time.</summary>
    internal ClusterTemplate? Template { get; set; }

    /// <summary>The server outlives the AppHost and the next run adopts it (see <see cref="LocalPostgresBuilderExtensions.WithPersistentServer"/>).</summary>
    public bool Persistent { get; internal set; }

    /// <summary>Database resource name to database name, in the order they were added.</summary>
    public IReadOnlyDictionary<string, string> Databases => _databases;

    /// <summary>The database new data is made with: the first one added (the container's POSTGRES_DB), else 'postgres'.</summary>
    public string InitDatabaseName => _databases.Values.FirstOrDefault() ?? "postgres";

    public EndpointReference PrimaryEndpoint { get; }

    /// <summary>The loopback address itself (see <see cref="Loopback"/>), never a name that may resolve elsewhere first.</summary>
    public EndpointReferenceExpression Host => PrimaryEndpoint.Property(EndpointProperty.IPV4Host);

    public EndpointReferenceExpression Port => PrimaryEndpoint.Property(EndpointProperty.Port);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host={Host};Port={Port};Username={UserName};Password={PasswordParameter}");

    internal void AddDatabase(string name, string databaseName) => _databases.TryAdd(name, databaseName);

    /// <summary>The database resources, whose seed scripts (if any) new data gets before the server listens.</summary>
    internal List<LocalPostgresDatabaseResource> DatabaseResources { get; } = [];

    /// <summary>
    /// Stops the server (fast shutdown) and throws away what a first start made, so that the next start initializes
    /// and seeds the data afresh. Nothing else in the data directory is touched.
    /// </summary>
    internal async Task ThrowAwayDataAsync(CancellationToken cancellationToken)
    {
        await Data.StopServerAsync(Account, s_stopTimeout, cancellationToken);
        await Data.ThrowAwayAsync(Account, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, cancellationToken);
    }

    /// <summary>
    /// Stops the server (fast shutdown) and sets the superuser's password in the kept data to the parameter's value,
    /// through single-user mode run as the server account (the statement on its standard input); then the password
    /// verifier is written anew, so that the next start takes the new password without a word.
    /// </summary>
    internal async Task TakeNewPasswordAsync(CancellationToken cancellationToken)
    {
        await Data.StopServerAsync(Account, s_stopTimeout, cancellationToken);
        if (Data.Inspect() != LocalPostgresDataState.Initialized)
        {
            throw new LocalPostgresException($"There is no finished data in '{Data.PgData}' to give a password to. Fix: start {Name}: new data takes the current password.");
        }

        var password = await PasswordParameterValue.RequiredAsync(PasswordParameter, message => new LocalPostgresException(message), cancellationToken);
        var (arguments, input) = UseNewPasswordCommand.SingleUserRun(Data.PgData, UserName, password);
        var result = await Account.RunToolAsync(Installation.Postgres, arguments, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, cancellationToken, input: input);
        if (!result.Succeeded || UseNewPasswordCommand.Failed(result.Errors))
        {
            throw new LocalPostgresException($"Single-user mode could not set the password (exit code {result.ExitCode}): {result.Errors.Trim()} Fix: see {Name}'s log; the data is unchanged.");
        }

        File.Delete(Data.PasswordVerifierFile);
        PasswordVerifier.Write(Data.PasswordVerifierFile, password);
    }

    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The server's arguments (its port is added on the command line). A persistent server also carries a custom
    /// setting that marks it as one, visible in <c>ps</c> and <c>SHOW local_postgres.lifetime</c>: a server with it is
    /// left running for the next run to adopt; one without it that outlived its AppHost is a leftover.
    /// </summary>
    internal List<string> ServerArguments()
    {
        List<string> arguments =
        [
            "-D", Data.PgData,
            "-c", $"listen_addresses={Loopback.Address}",
            "-c", $"unix_socket_directories={Data.SocketDirectory}",
            "-c", "unix_socket_permissions=0700",
        ];
        if (!Durable)
        {
            arguments.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }

        if (Persistent)
        {
            arguments.AddRange(["-c", PersistentMarker]);
        }

        return arguments;
    }

    public const string PersistentMarker = "local_postgres.lifetime=persistent";

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties() =>
    [
        new("Host", ReferenceExpression.Create($"{Host}")),
        new("Port", ReferenceExpression.Create($"{Port}")),
        new("Username", ReferenceExpression.Create($"{UserName}")),
        new("Password", ReferenceExpression.Create($"{PasswordParameter}")),
        new("Uri", UriExpression()),
        new("JdbcConnectionString", JdbcConnectionStringExpression()),
    ];

    internal ReferenceExpression UriExpression(string? databaseName = null) =>
        WithDatabase(ReferenceExpression.Create($"postgresql://{UserName}:{PasswordParameter:uri}@{Host}:{Port}"), databaseName);

    /// <summary>As Aspire's container resource: no credentials in it (they are the Username and Password properties).</summary>
    internal ReferenceExpression JdbcConnectionStringExpression(string? databaseName = null) =>
        WithDatabase(ReferenceExpression.Create($"jdbc:postgresql://{Host}:{Port}"), databaseName);

    private static ReferenceExpression WithDatabase(ReferenceExpression server, string? databaseName)
    {
        var builder = new ReferenceExpressionBuilder();
        builder.Append($"{server}");
        if (databaseName is not null)
        {
            builder.Append($"/{databaseName:uri}");
        }

        return builder.Build();
    }
}

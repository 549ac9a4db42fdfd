using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// The tutorial's Node.js client, run by the AppHost with nothing but PG* variables. (In container mode:
/// <see cref="ContainerMode.ContainerThrowawayDataTests"/>.)
/// </summary>
[Collection(NodeClientRuns.Name)]
public sealed class NodeClientTests : IAsyncDisposable
{
    private static readonly string[] s_pgVariables = ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"];

    private readonly TestApps _apps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NodeClientSaysHelloFromTheSameDatabase()
    {
        await NodeClientRuns.EnsureInstalledAsync(Ct);
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path, "--NodeClient:Enabled=true"), Ct);

        var client = await app.WaitForRunOnceResourceToEndAsync("node-client", Ct);
        var log = await app.LogsOfAsync("node-client", Ct);
        await _apps.StopAsync(app, Ct);

        Assert.Equal(0, client.ExitCode);
        Assert.Contains("Hello world", log);
        Assert.DoesNotContain(HelloApp.TestPassword, log);
    }

    [Fact]
    public async Task TurningTheClientOffRemovesItFromTheModel()
    {
        await using var builder = await AppModel.CreateAsync(HelloApp.LocalMode(_apps.Data.Path), Ct);

        Assert.DoesNotContain(builder.Resources, r => r.Name.StartsWith("node-client", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LocalModeGivesThePgVariablesOfTheLocalServer()
    {
        await using var builder = await AppModel.CreateAsync(HelloApp.LocalMode(_apps.Data.Path, "--NodeClient:Enabled=true"), Ct);
        var server = builder.Resource<LocalPostgresServerResource>("postgres");

        // 127.0.0.1 itself: "localhost" may be tried on ::1 first, where another local user could listen.
        await AssertPgVariablesFollowAsync(builder, server, server.PasswordParameter, EndpointProperty.IPV4Host);
    }

    [Fact]
    public async Task ContainerModeGivesThePgVariablesOfTheContainer()
    {
        await using var builder = await AppModel.CreateAsync(["--Postgres:Mode=container", "--NodeClient:Enabled=true"], Ct);
        var server = builder.Resource<PostgresServerResource>("postgres");

        // Aspire's Host, which DCP's proxy for the container (bound to 127.0.0.1, see ContainerThrowawayDataTests) resolves to that address.
        await AssertPgVariablesFollowAsync(builder, server, server.PasswordParameter, EndpointProperty.Host);
    }

    [Fact]
    public async Task ExistingModeGivesThePgVariablesOfTheConfiguredServer()
    {
        await using var builder = await AppModel.CreateAsync(
            ["--ConnectionStrings:hello=Host=db.example;Port=6543;Username=app;Password=s3cret;Database=hello", "--NodeClient:Enabled=true"], Ct);

        var pg = await PgVariablesAsync(builder);

        Assert.Equal("db.example", await pg["PGHOST"].GetValueAsync(Ct));
        Assert.Equal("6543", await pg["PGPORT"].GetValueAsync(Ct));
        Assert.Equal("app", await pg["PGUSER"].GetValueAsync(Ct));
        Assert.Equal("s3cret", await pg["PGPASSWORD"].GetValueAsync(Ct));
        Assert.Equal("hello", await pg["PGDATABASE"].GetValueAsync(Ct));
        // A server of the user's: its own authentication, whatever it is (the README advises SCRAM).
        Assert.False((await AppModel.EnvironmentAsync(builder.Resource<ExecutableResource>("node-client"))).ContainsKey("PGREQUIREAUTH"));
    }

    /// <summary>
    /// Every form of a connection string that the worker (Npgsql) takes, the Node.js client takes the same way:
    /// keyword synonyms, any case and spacing, quoting, and Npgsql's defaults (port 5432, the database named after the
    /// user). A managed server's string is one secret azd passes to both.
    /// </summary>
    [Theory]
    [InlineData("Host=db.example.com;Username=app;Password=p1;Database=hello")]
    [InlineData("Server=db.example.com;User Name=app;PWD=p2;DB=hello;Port=6432")]
    [InlineData("host=db.example.com;UID=app;PSW=p3")]
    [InlineData("HOST = db.example.com ; User Id = app ; Password = 'p;4' ; SSL Mode = VerifyFull")]
    [InlineData("Host=db.example.com;UserId=app;Password=\"p\"\"5\";SslMode=Require;Database=he llo")]
    [InlineData("Host=db.example.com;Port=5433;Username=app;Password=p6;Database=hello;SSL Mode=Disable;Timeout=15;Pooling=false")]
    public async Task TheClientTakesEveryConnectionStringFormTheWorkerTakes(string connectionString)
    {
        var npgsql = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);

        var pg = await PgEnvironmentOfAsync(connectionString);

        Assert.Equal(npgsql.Host, pg["PGHOST"]);
        Assert.Equal(npgsql.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), pg["PGPORT"]);
        Assert.Equal(npgsql.Username, pg["PGUSER"]);
        Assert.Equal(npgsql.Password, pg["PGPASSWORD"]);
        Assert.Equal(npgsql.Database ?? npgsql.Username, pg["PGDATABASE"]);
        var sslMode = connectionString.Contains("ssl", StringComparison.OrdinalIgnoreCase)
            ? npgsql.SslMode switch { Npgsql.SslMode.VerifyFull => "verify-full", Npgsql.SslMode.VerifyCA => "verify-ca", var mode => mode.ToString().ToLowerInvariant() }
            : null;
        Assert.Equal(sslMode, pg.GetValueOrDefault("PGSSLMODE"));
    }

    /// <summary>Deployed (Hello__AfterRun=Stay), a connection string the client cannot use is said once, and the client stays up.</summary>
    [Fact]
    public async Task DeployedTheClientSaysABadSettingOnceAndStaysUp()
    {
        await NodeClientRuns.EnsureInstalledAsync(Ct);
        using var client = ClientProcess.StartNodeClient(new Dictionary<string, string?>
        {
            ["ConnectionStrings__hello"] = "Host=db.example;Password=\"unterminated;Port=5432",
            ["Hello__AfterRun"] = "Stay",
            ["Hello__RetryInterval"] = "00:00:00.2",
        });

        await client.WaitForErrorAsync("node-client cannot read the hello row yet", HelloApp.WorkerTimeout, Ct);
        await Task.Delay(TimeSpan.FromSeconds(1), Ct); // five retry intervals: still one line, still up
        var stillUp = !client.HasExited;
        client.Terminate();
        var (_, _, errors) = await client.WaitForExitAsync(HelloApp.WorkerTimeout, Ct);

        Assert.True(stillUp, "a deployed client with a bad setting must not exit into a restart loop");
        Assert.Single(errors.Split('\n'), line => line.StartsWith("node-client cannot read the hello row yet: ConnectionStrings__hello is not a PostgreSQL connection string", StringComparison.Ordinal));
        Assert.DoesNotContain("unterminated", errors);
    }

    private static async Task<Dictionary<string, string>> PgEnvironmentOfAsync(string connectionString)
    {
        var module = Path.Combine(NodeClientRuns.Directory, "connection-string.js");
        var script = "const env = { ConnectionStrings__hello: process.argv[1] }; " +
            $"require({System.Text.Json.JsonSerializer.Serialize(module)}).applyConnectionString(env, 'hello'); delete env.ConnectionStrings__hello; console.log(JSON.stringify(env));";
        var (exitCode, output, errors) = await BoundedProcess.RunAsync(new System.Diagnostics.ProcessStartInfo("node", ["-e", script, connectionString]), HelloApp.WorkerTimeout, Ct);
        Assert.True(exitCode == 0, errors);
        return System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(output)!;
    }

    /// <summary>
    /// Told to insist on SCRAM (as the AppHost tells it for the servers it runs), the client sends nothing to a server
    /// that asks for the password in clear text; told nothing, it would send it, as the control run shows.
    /// </summary>
    [Fact]
    public async Task InsistingOnScramTheClientSendsNoPasswordToAServerThatAsksForItInClear()
    {
        await NodeClientRuns.EnsureInstalledAsync(Ct);
        const string password = "Node-Canary-Password-4";
        async Task<(int ExitCode, string Errors, string Received)> RunAgainstFakeAsync(string? requireAuth)
        {
            var port = HelloApp.FreePort();
            await using var fake = new FakePostgresServer(System.Net.IPAddress.Loopback, port);
            var node = new System.Diagnostics.ProcessStartInfo("node", ["--require", "./tracing.js", "--require", "./require-auth.js", "index.js"]) { WorkingDirectory = NodeClientRuns.Directory };
            node.Environment["PGHOST"] = "127.0.0.1";
            node.Environment["PGPORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            node.Environment["PGUSER"] = "postgres";
            node.Environment["PGPASSWORD"] = password;
            node.Environment["PGDATABASE"] = "hello";
            node.Environment.Remove("PGREQUIREAUTH");
            if (requireAuth is not null)
            {
                node.Environment["PGREQUIREAUTH"] = requireAuth;
            }

            var (exitCode, _, errors) = await BoundedProcess.RunAsync(node, HelloApp.WorkerTimeout, Ct);
            return (exitCode, errors, fake.Received);
        }

        var insisting = await RunAgainstFakeAsync("scram-sha-256");
        var control = await RunAgainstFakeAsync(null);

        Assert.Equal(3, insisting.ExitCode);
        Assert.Contains("asked for the password in clear text, but PGREQUIREAUTH is scram-sha-256: the password was not sent", insisting.Errors);
        Assert.DoesNotContain(password, insisting.Received);
        Assert.Contains(password, control.Received);
    }

    /// <summary>
    /// A managed server reaches the client as one connection string (ConnectionStrings__hello): the client derives
    /// the PG* variables from it, quoting and SSL mode included, and leaves variables that are already set alone.
    /// </summary>
    [Fact]
    public async Task TheClientDerivesThePgVariablesFromAConnectionString()
    {
        var module = Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "..", "node-client", "connection-string.js"));
        var script = "const env = { ConnectionStrings__hello: process.argv[1], PGUSER: 'already-set' }; " +
            $"require({System.Text.Json.JsonSerializer.Serialize(module)}).applyConnectionString(env, 'hello'); console.log(JSON.stringify(env));";
        var node = new System.Diagnostics.ProcessStartInfo("node", ["-e", script, "Host=db.example.com;Port=6432;Username=app;Password=\"p;a=s\"\"s\";Database='he''llo';SSL Mode=Require"]);
        var (exitCode, output, errors) = await BoundedProcess.RunAsync(node, HelloApp.WorkerTimeout, Ct);

        Assert.True(exitCode == 0, errors);
        var pg = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(output)!;
        Assert.Equal("db.example.com", pg["PGHOST"]);
        Assert.Equal("6432", pg["PGPORT"]);
        Assert.Equal("already-set", pg["PGUSER"]);
        Assert.Equal("p;a=s\"s", pg["PGPASSWORD"]);
        Assert.Equal("he'llo", pg["PGDATABASE"]);
        Assert.Equal("require", pg["PGSSLMODE"]);
    }

    /// <summary>The variables are expressions over the server's endpoint and password parameter, resolved when it runs.</summary>
    private static async Task AssertPgVariablesFollowAsync(IDistributedApplicationTestingBuilder builder, IResourceWithEndpoints server, ParameterResource password, EndpointProperty host)
    {
        var pg = await PgVariablesAsync(builder);

        AssertEndpoint(pg["PGHOST"], server, host);
        AssertEndpoint(pg["PGPORT"], server, EndpointProperty.Port);
        Assert.Equal("postgres", await pg["PGUSER"].GetValueAsync(Ct));
        Assert.Same(password, Assert.Single(pg["PGPASSWORD"].ValueProviders));
        Assert.Equal("hello", await pg["PGDATABASE"].GetValueAsync(Ct));
        // A server the app runs accepts SCRAM only; the client is told to insist on it (libpq 16's variable).
        Assert.Equal("scram-sha-256", (await AppModel.EnvironmentAsync(builder.Resource<ExecutableResource>("node-client")))["PGREQUIREAUTH"]);
    }

    private static async Task<Dictionary<string, ReferenceExpression>> PgVariablesAsync(IDistributedApplicationTestingBuilder builder)
    {
        var client = builder.Resource<ExecutableResource>("node-client");
        // Waits until the database is healthy (seeded), as the compose file's depends_on could not: not only started.
        Assert.Contains(client.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource.Name == "hello" && wait.WaitType == WaitType.WaitUntilHealthy);
        var environment = await AppModel.EnvironmentAsync(client);
        return s_pgVariables.ToDictionary(name => name, name => Assert.IsType<ReferenceExpression>(environment[name]));
    }

    private static void AssertEndpoint(ReferenceExpression expression, IResourceWithEndpoints server, EndpointProperty property)
    {
        var endpoint = Assert.IsType<EndpointReferenceExpression>(Assert.Single(expression.ValueProviders));
        Assert.Same(server, endpoint.Endpoint.Resource);
        Assert.Equal(property, endpoint.Property);
    }

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

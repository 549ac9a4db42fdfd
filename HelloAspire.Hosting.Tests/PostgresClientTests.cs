namespace HelloAspire.Hosting.Tests;

/// <summary>What a client is given of a database, whichever kind it is.</summary>
public sealed class PostgresClientTests : IDisposable
{
    private readonly Bare.Folder _folder = new();

    [Fact]
    public async Task AClientOfAServerTheAppRunsGetsOnlyItsConnectionStringAndInsistsOnScram()
    {
        var builder = Bare.Builder();
        var hello = builder.AddLocalPostgres("postgres", new PostgresInstallation(_folder.Path), _folder.Combine("data")).AddDatabase("hello");
        var client = builder.AddExecutable("client", "client", _folder.Path).WithConnectionString(hello);

        var environment = await Bare.EnvironmentOfAsync(client.Resource);

        Assert.Equal(["ConnectionStrings__hello"], environment.Keys);
        Assert.Equal("{hello.connectionString};Require Auth=ScramSHA256", environment["ConnectionStrings__hello"]);
    }

    [Fact]
    public async Task AClientOfAServerTheAppDoesNotRunGetsTheConnectionStringAsItIs()
    {
        var builder = Bare.Builder("--ConnectionStrings:hello=Host=db.example.com;Username=app;Password=secret;Database=hello");
        var hello = builder.AddExistingPostgresDatabase("hello");
        var client = builder.AddExecutable("client", "client", _folder.Path).WithConnectionString(hello);

        var environment = await Bare.EnvironmentOfAsync(client.Resource);

        Assert.Equal("{hello.connectionString}", Assert.Single(environment).Value);
    }

    [Fact]
    public async Task ALibpqClientGetsTheComposeFilesPgVariablesAndPgRequireAuthOnlyForAServerTheAppRuns()
    {
        var builder = Bare.Builder("--ConnectionStrings:existing=Host=db.example.com;Port=6432;Username=app;Password=secret;Database=hello");
        var local = builder.AddLocalPostgres("postgres", new PostgresInstallation(_folder.Path), _folder.Combine("data")).AddDatabase("hello");
        var existing = builder.AddExistingPostgresDatabase("existing");

        var ofLocal = await Bare.EnvironmentOfAsync(builder.AddExecutable("a", "a", _folder.Path).WithPostgresEnvironment(local).Resource);
        var ofExisting = await Bare.EnvironmentOfAsync(builder.AddExecutable("b", "b", _folder.Path).WithPostgresEnvironment(existing).Resource);

        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["PGHOST"] = "{postgres.bindings.tcp.host}",
                ["PGPORT"] = "{postgres.bindings.tcp.port}",
                ["PGUSER"] = "postgres",
                ["PGPASSWORD"] = "{postgres-password.value}",
                ["PGDATABASE"] = "hello",
                ["PGREQUIREAUTH"] = "scram-sha-256",
            },
            ofLocal);
        Assert.Equal(
            new Dictionary<string, string?> { ["PGHOST"] = "db.example.com", ["PGPORT"] = "6432", ["PGUSER"] = "app", ["PGPASSWORD"] = "secret", ["PGDATABASE"] = "hello" },
            ofExisting);
    }

    [Fact]
    public async Task AManagedServersOneSecretConnectionStringIsPassedWholeToALibpqClient()
    {
        var builder = Bare.PublishingBuilder(_folder.Path);
        var managed = builder.AddConnectionString("hello");

        var environment = await Bare.EnvironmentOfAsync(builder.AddExecutable("client", "client", _folder.Path).WithPostgresEnvironment(managed).Resource, DistributedApplicationOperation.Publish);

        Assert.Equal("{hello.connectionString}", Assert.Single(environment, v => v.Key == "ConnectionStrings__hello").Value);
        Assert.DoesNotContain("PGPASSWORD", environment.Keys);
    }

    [Fact]
    public void AnExistingDatabaseRunsAtOnceIsNotPublishedAndHasAspiresConnectionProperties()
    {
        var builder = Bare.Builder("--ConnectionStrings:hello=Host=::1;Port=6432;Username=app;Password=p@ss;Database=hello");

        var hello = builder.AddExistingPostgresDatabase("hello");

        var properties = Bare.PropertiesOf(hello.Resource);
        Assert.Equal("postgresql://app:p%40ss@[::1]:6432/hello", properties["Uri"]);
        Assert.Equal("jdbc:postgresql://[::1]:6432/hello", properties["JdbcConnectionString"]);
        Assert.Equal(PostgresDatabaseAnnotation.External, PostgresDatabaseAnnotation.Of(hello.Resource));
        Assert.Same(ManifestPublishingCallbackAnnotation.Ignore, hello.Resource.Annotations.OfType<ManifestPublishingCallbackAnnotation>().Single());
    }

    [Fact]
    public void AMissingOrMalformedConnectionStringIsOneLineWithTheFix()
    {
        var missing = Assert.Throws<DistributedApplicationException>(() => Bare.Builder().AddExistingPostgresDatabase("hello"));
        var malformed = Assert.Throws<DistributedApplicationException>(() => Bare.Builder("--ConnectionStrings:hello=Hostt=x").AddExistingPostgresDatabase("hello"));

        Assert.Equal("ConnectionStrings:hello is not set.", missing.Message);
        Assert.StartsWith("ConnectionStrings:hello is not a PostgreSQL connection string (", malformed.Message);
        Assert.EndsWith("Fix: use the form Host=…;Port=5432;Username=…;Password=…;Database=….", malformed.Message);
    }

    [Fact]
    public void BadArgumentsAreRefusedByName()
    {
        var builder = Bare.Builder();
        var client = builder.AddExecutable("client", "client", _folder.Path);

        Assert.Throws<ArgumentNullException>("database", () => client.WithConnectionString(null!));
        Assert.Throws<ArgumentNullException>("database", () => client.WithPostgresEnvironment(null!));
        Assert.Throws<ArgumentException>("name", () => builder.AddExistingPostgresDatabase(""));
    }

    public void Dispose() => _folder.Dispose();
}

using HelloAspire.AppHost.Database;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>Each mode's app model, built from the real AppHost without starting anything.</summary>
public sealed class AppModelTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ContainerModeDeclaresAPinnedImageSeededIntoTheAppDatabase()
    {
        await using var builder = await AppModel.CreateAsync(["--Postgres:Mode=container"], Ct);

        var server = builder.Resource<PostgresServerResource>("postgres");
        var image = Assert.Single(server.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal("library/postgres", image.Image);
        Assert.Equal(HelloDatabaseBuilderExtensions.PostgresImageTag, image.Tag);
        Assert.NotEqual("latest", image.Tag);

        var environment = await AppModel.EnvironmentAsync(server);
        Assert.Equal("hello", environment["POSTGRES_DB"]);
        // The password as a file the image reads, copied in by DCP: never on the runtime's command line.
        Assert.False(environment.ContainsKey("POSTGRES_PASSWORD"), "POSTGRES_PASSWORD would put the password on podman's command line");
        Assert.Equal("/run/secrets/postgres-password", environment["POSTGRES_PASSWORD_FILE"]);
        var files = server.Annotations.OfType<ContainerFileSystemCallbackAnnotation>().ToDictionary(a => a.DestinationPath);
        // No /docker-entrypoint-initdb.d: the AppHost seeds the database on every start (SeedScripts), new data or kept.
        Assert.Equal(["/run/secrets"], files.Keys.Order(StringComparer.Ordinal));
        var passwordFile = Assert.IsType<ContainerFile>(Assert.Single(await files["/run/secrets"].Callback(new() { Model = server, Services = builder.Services.BuildServiceProvider() }, Ct)));
        Assert.Equal(("postgres-password", 999, UnixFileMode.UserRead), (passwordFile.Name, passwordFile.Owner, passwordFile.Mode));
        Assert.Equal(await server.PasswordParameter.GetValueAsync(Ct), passwordFile.Contents);
        Assert.Equal(server.PrimaryEndpoint.EndpointName, Assert.Single(server.Annotations.OfType<EndpointAnnotation>(), e => e.TargetHost == "127.0.0.1").Name);
        var volume = Assert.Single(server.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal(ContainerMountType.Volume, volume.Type);
        Assert.Equal("/var/lib/postgresql/data", volume.Target);
        // No certificates copied in for a server that calls no one.
        Assert.Equal(CertificateTrustScope.None, server.Annotations.OfType<CertificateAuthorityCollectionAnnotation>().Last().Scope);

        var database = builder.Resource<PostgresDatabaseResource>("hello");
        Assert.Equal("hello", database.DatabaseName);
        await AssertWorkerReferencesAndWaitsForAsync(builder, database);
    }

    /// <summary>A mirror or another registry for the image; the tag stays the app's (run, and the deploy image's base).</summary>
    [Fact]
    public async Task ContainerModeTakesTheImageFromPostgresImageWithThePinnedTag()
    {
        await using var run = await AppModel.CreateAsync(["--Postgres:Mode=container", "--Postgres:Image=mirror.example.com/library/postgres"], Ct);
        var image = Assert.Single(run.Resource<PostgresServerResource>("postgres").Annotations.OfType<ContainerImageAnnotation>());
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var tagged = await AppModel.CreateAsync(["--Postgres:Mode=container", "--Postgres:Image=mirror.example.com/library/postgres:16"], Ct);
        });

        Assert.Equal("mirror.example.com", image.Registry);
        Assert.Equal("library/postgres", image.Image);
        Assert.Equal(HelloDatabaseBuilderExtensions.PostgresImageTag, image.Tag);
        Assert.Contains("Postgres:Image is 'mirror.example.com/library/postgres:16', but the tag is the app's own", error.Message);
    }

    [Fact]
    public async Task ContainerModeWithTemporaryDataHasNoVolume()
    {
        await using var builder = await AppModel.CreateAsync(["--Postgres:Mode=container", "--Postgres:TemporaryData=true"], Ct);

        Assert.Empty(builder.Resource<PostgresServerResource>("postgres").Annotations.OfType<ContainerMountAnnotation>());
    }

    [Fact]
    public async Task LocalModeDeclaresALoopbackServerOnTheConfiguredDataDirectory()
    {
        using var data = new TemporaryDirectory();
        await using var builder = await AppModel.CreateAsync(HelloApp.LocalMode(data.Path), Ct);

        var server = builder.Resource<LocalPostgresServerResource>("postgres");
        Assert.Equal(data.Path, server.Data.Root);
        Assert.True(server.Durable, "kept data must keep fsync on");

        var arguments = await AppModel.ArgumentsAsync(server);
        Assert.Contains("listen_addresses=127.0.0.1", arguments);
        Assert.Contains("unix_socket_permissions=0700", arguments);
        Assert.Contains($"unix_socket_directories={data.Combine("socket")}", arguments);
        Assert.DoesNotContain("fsync=off", arguments);

        var endpoint = Assert.Single(server.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal("tcp", endpoint.UriScheme);
        Assert.Equal("127.0.0.1", endpoint.TargetHost);
        // Its port on its command line: its environment is cleared, so nothing of the AppHost's reaches it.
        Assert.Equal("-p", arguments[^2]);
        Assert.Contains(Environment.IsPrivilegedProcess ? "--reset-env" : "-i", arguments);
        Assert.Contains(server.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key == "postgres_check");
        Assert.Contains(server.Annotations, a => a is ManifestPublishingCallbackAnnotation);

        var database = builder.Resource<LocalPostgresDatabaseResource>("hello");
        Assert.Equal("hello", database.DatabaseName);
        Assert.Equal("hello", server.InitDatabaseName);
        Assert.EndsWith("01-hello.sql", Assert.Single(Directory.GetFiles(Assert.Single(database.Annotations.OfType<SeedScriptsAnnotation>()).Directory)));

        await AssertWorkerReferencesAndWaitsForAsync(builder, database);
    }

    [Fact]
    public async Task ExistingModeStartsNoServerAndPassesTheConfiguredConnectionString()
    {
        await using var builder = await AppModel.CreateAsync(
            ["--ConnectionStrings:hello=Host=db.example;Database=hello;Username=app;Password=from-config", "--NodeClient:Enabled=false"], Ct);

        Assert.DoesNotContain(builder.Resources, r => r.Name == "postgres");
        Assert.Empty(builder.Resources.OfType<ContainerResource>());
        Assert.DoesNotContain(builder.Resources.OfType<ExecutableResource>(), r => r is not IResourceWithParent); // only the worker's own helpers
        var database = builder.Resource<IResourceWithConnectionString>("hello");
        Assert.Equal("Host=db.example;Database=hello;Username=app;Password=from-config", await database.GetConnectionStringAsync(Ct));
        await AssertWorkerReferencesAndWaitsForAsync(builder, database);
    }

    [Fact]
    public async Task AnExistingServerIsSeededByAOneShotStepOnlyWhenAskedAndTheClientsWaitForIt()
    {
        string[] existing = ["--ConnectionStrings:hello=Host=db.example;Database=hello;Username=app;Password=p"];
        await using (var unseeded = await AppModel.CreateAsync(existing, Ct))
        {
            Assert.DoesNotContain(unseeded.Resources, r => r.Name == "seed");
        }

        await using var seeded = await AppModel.CreateAsync([.. existing, "--Postgres:SeedExisting=true"], Ct);
        var seed = seeded.Resource<ProjectResource>("seed");
        Assert.Equal("Seed", (await AppModel.EnvironmentAsync(seed))["Hello__Task"]);
        foreach (var client in new[] { "worker", "node-client" })
        {
            Assert.Contains(seeded.Resource<IResourceWithWaitSupport>(client).Annotations.OfType<WaitAnnotation>(),
                wait => wait.Resource == seed && wait.WaitType == WaitType.WaitForCompletion);
        }
    }

    /// <summary>reset-data is offered where the app owns the data: on the local server's directory, and on the container's volume.</summary>
    [Fact]
    public async Task ResetDataIsOfferedOnTheLocalDataAndOnTheContainerVolume()
    {
        using var data = new TemporaryDirectory();
        await using var local = await AppModel.CreateAsync(HelloApp.LocalMode(data.Path), Ct);
        await using var container = await AppModel.CreateAsync(["--Postgres:Mode=container"], Ct);
        await using var throwaway = await AppModel.CreateAsync(["--Postgres:Mode=container", "--Postgres:TemporaryData=true"], Ct);

        Assert.Contains($"'{data.Combine("pgdata")}'", ResetData(local.Resource<LocalPostgresServerResource>("postgres")).ConfirmationMessage);
        var volume = Assert.Single(container.Resource<PostgresServerResource>("postgres").Annotations.OfType<ContainerMountAnnotation>()).Source;
        Assert.Contains($"the volume '{volume}'", ResetData(container.Resource<PostgresServerResource>("postgres")).ConfirmationMessage);
        Assert.DoesNotContain(throwaway.Resource<PostgresServerResource>("postgres").Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == ResetDataCommand.Name);
    }

    /// <summary>Postgres:Lifetime=persistent keeps the server running in both modes that start one, by Aspire's own persistent lifetimes.</summary>
    [Fact]
    public async Task APersistentLifetimeKeepsTheLocalServerAndTheContainerRunning()
    {
        using var data = new TemporaryDirectory();
        await using var local = await AppModel.CreateAsync(HelloApp.LocalMode(data.Path, "--Postgres:Lifetime=persistent"), Ct);
        await using var container = await AppModel.CreateAsync(["--Postgres:Mode=container", "--Postgres:Lifetime=Persistent"], Ct);
        await using var session = await AppModel.CreateAsync(HelloApp.LocalMode(data.Path), Ct);

        var server = local.Resource<LocalPostgresServerResource>("postgres");
        Assert.True(server.Persistent);
        Assert.True(IsPersistent(server));
        Assert.Contains(LocalPostgresServerResource.PersistentMarker, await AppModel.ArgumentsAsync(server));
        Assert.True(IsPersistent(container.Resource<PostgresServerResource>("postgres")));
        Assert.False(IsPersistent(session.Resource<LocalPostgresServerResource>("postgres")));
    }

#pragma warning disable ASPIREPERSISTENCE001 // Aspire's lifetime annotation is experimental; the app relies on it, so the test reads it.
    private static bool IsPersistent(IResource resource) =>
        resource.Annotations.OfType<PersistenceAnnotation>().LastOrDefault()?.Mode == PersistenceMode.Persistent;
#pragma warning restore ASPIREPERSISTENCE001

    [Theory]
    [InlineData("RunOnce")]
    [InlineData("ExitWithWorker")]
    public async Task ARunOnceValueThatIsNotABooleanFailsWithTheFix(string setting)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var builder = await AppModel.CreateAsync([$"--{setting}=yes"], Ct);
        });

        Assert.Equal($"{setting} is 'yes'. Fix: use --RunOnce=true or false.", error.Message);
    }

    [Fact]
    public async Task APersistentLifetimeWithThrowawayDataFailsWithTheFix()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var builder = await AppModel.CreateAsync(["--Postgres:Lifetime=persistent", "--Postgres:TemporaryData=true"], Ct);
        });

        Assert.Contains("Postgres:Lifetime=persistent keeps the server running, but Postgres:TemporaryData=true deletes its data", error.Message);
        Assert.Contains("Fix: remove one of the two settings.", error.Message);
    }

    private static ResourceCommandAnnotation ResetData(IResource server) =>
        Assert.Single(server.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == ResetDataCommand.Name);

    [Theory]
    [InlineData("Mode", "docker", "auto, container, local, existing")]
    [InlineData("PublishAs", "azure", "container (PostgreSQL deployed as a container, the default) or managed")]
    [InlineData("Lifetime", "forever", "session (the server stops with the AppHost, the default) or persistent")]
    public async Task AnUnknownChoiceFailsWithTheValidValues(string setting, string value, string validValues)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var builder = await AppModel.CreateAsync([$"--Postgres:{setting}={value}"], Ct);
        });

        Assert.Contains($"Postgres:{setting} is '{value}'", error.Message);
        Assert.Contains(validValues, error.Message);
    }

    [Fact]
    public async Task ABadBinDirectoryFailsWithTheMissingToolsAndTheFix()
    {
        using var empty = new TemporaryDirectory();
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var builder = await AppModel.CreateAsync(["--Postgres:Mode=local", $"--Postgres:BinDirectory={empty.Path}"], Ct);
        });

        Assert.Contains($"Postgres:BinDirectory is '{empty.Path}'", error.Message);
        Assert.Contains("postgres, initdb, psql", error.Message);
        Assert.Contains("pg_config --bindir", error.Message);
    }

    /// <summary>
    /// A client is wired alike whichever mode runs: the database (and the local server) offer the same connection
    /// properties as Aspire.Hosting.PostgreSQL's own resources, compared with them, not with a list kept here.
    /// </summary>
    [Fact]
    public async Task EveryModeOffersTheConnectionPropertiesOfAspiresPostgresResources()
    {
        using var data = new TemporaryDirectory();
        await using var container = await AppModel.CreateAsync(["--Postgres:Mode=container"], Ct);
        await using var local = await AppModel.CreateAsync(HelloApp.LocalMode(data.Path), Ct);
        await using var existing = await AppModel.CreateAsync(
            ["--ConnectionStrings:hello=Host=db.example;Port=5433;Database=hello;Username=app;Password=p", "--NodeClient:Enabled=false"], Ct);

        var expected = Keys(container.Resource<PostgresDatabaseResource>("hello"));
        Assert.Contains("JdbcConnectionString", expected);
        Assert.Equal(expected, Keys(local.Resource<LocalPostgresDatabaseResource>("hello")));
        Assert.Equal(expected, Keys(existing.Resource<IResourceWithConnectionString>("hello")));
        Assert.Equal(Keys(container.Resource<PostgresServerResource>("postgres")), Keys(local.Resource<LocalPostgresServerResource>("postgres")));
    }

    [Fact]
    public async Task ADatabaseNameThatNeedsQuotingSurvivesEveryConnectionProperty()
    {
        const string name = "hello; world=1";
        using var data = new TemporaryDirectory();
        await using var local = await AppModel.CreateAsync(HelloApp.LocalMode(data.Path), Ct);
        var database = local.CreateResourceBuilder(local.Resource<LocalPostgresServerResource>("postgres")).AddDatabase("quoted", name).Resource;

        // "{postgres.connectionString};Database=…": the server's part stays a reference until run time.
        var expression = database.ConnectionStringExpression.ValueExpression;
        Assert.StartsWith("{postgres.connectionString};", expression);
        var connectionString = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = expression[(expression.IndexOf(';', StringComparison.Ordinal) + 1)..] };
        Assert.Equal(name, connectionString["Database"]);
        var properties = Properties(database);
        Assert.Equal(name, properties["DatabaseName"].ValueExpression);
        Assert.EndsWith("/hello%3B%20world%3D1", properties["Uri"].ValueExpression);
        Assert.EndsWith("/hello%3B%20world%3D1", properties["JdbcConnectionString"].ValueExpression);

        var existing = new ExistingPostgresDatabaseResource("hello", $"Host=db.example;Port=5433;Username=app;Password=p@ss:w/rd;Database=\"{name}\"");
        var existingProperties = Properties(existing);
        Assert.Equal(name, existingProperties["DatabaseName"].ValueExpression);
        Assert.Equal("postgresql://app:p%40ss%3Aw%2Frd@db.example:5433/hello%3B%20world%3D1", existingProperties["Uri"].ValueExpression);
        Assert.Equal("jdbc:postgresql://db.example:5433/hello%3B%20world%3D1", existingProperties["JdbcConnectionString"].ValueExpression);
    }

    private static string[] Keys(IResourceWithConnectionString resource) => [.. Properties(resource).Keys.Order(StringComparer.Ordinal)];

    private static Dictionary<string, ReferenceExpression> Properties(IResourceWithConnectionString resource) =>
        resource.GetConnectionProperties().ToDictionary(p => p.Key, p => p.Value);

    private static async Task AssertWorkerReferencesAndWaitsForAsync(IDistributedApplicationTestingBuilder builder, IResourceWithConnectionString database)
    {
        var worker = builder.Resource<ProjectResource>("worker");
        Assert.Contains(worker.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource == database && wait.WaitType == WaitType.WaitUntilHealthy);

        // Its connection string and nothing else of the database: no HELLO_PASSWORD, HELLO_URI and the like.
        var environment = await AppModel.EnvironmentAsync(worker);
        var connectionString = Assert.IsAssignableFrom<IManifestExpressionProvider>(environment["ConnectionStrings__hello"]).ValueExpression;
        Assert.StartsWith("{hello.connectionString}", connectionString);
        Assert.Equal(database is ExistingPostgresDatabaseResource ? "{hello.connectionString}" : "{hello.connectionString};Require Auth=ScramSHA256", connectionString);
        Assert.DoesNotContain(environment.Keys, key => key.StartsWith("HELLO_", StringComparison.Ordinal));
    }
}

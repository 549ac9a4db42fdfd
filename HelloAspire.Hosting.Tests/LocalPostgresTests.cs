using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace HelloAspire.Hosting.Tests;

public sealed class LocalPostgresTests : IDisposable
{
    private readonly Bare.Folder _folder = new();

    private PostgresInstallation Installation => new(_folder.Path);

    private string Data => _folder.Combine("data");

    [Fact]
    public void TheServerListensOnTheIpv4LoopbackWithAHealthCheckAndTheDatabaseFollowsIt()
    {
        var builder = Bare.Builder();
        var server = builder.AddLocalPostgres("postgres", Installation, Data);
        var database = server.AddDatabase("hello");

        var endpoint = Assert.Single(server.Resource.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(("tcp", "tcp", "127.0.0.1"), (endpoint.Name, endpoint.UriScheme, endpoint.TargetHost));
        Assert.Equal("postgres_check", Assert.Single(server.Resource.Annotations.OfType<HealthCheckAnnotation>()).Key);
        var registrations = builder.Services.BuildServiceProvider().GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;
        Assert.Contains(registrations, r => r.Name == "postgres_check");
        Assert.Same(server.Resource, database.Resource.Parent);
        Assert.Equal(["hello"], server.Resource.Databases.Values);
    }

    [Fact]
    public void ConnectionPropertiesAreAspiresOwnForTheServerAndItsDatabase()
    {
        var server = Bare.Builder().AddLocalPostgres("postgres", Installation, Data);
        var database = server.AddDatabase("hello");

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["Host"] = "{postgres.bindings.tcp.host}",
                ["Port"] = "{postgres.bindings.tcp.port}",
                ["Username"] = "postgres",
                ["Password"] = "{postgres-password.value}",
                ["Uri"] = "postgresql://postgres:{postgres-password.value}@{postgres.bindings.tcp.host}:{postgres.bindings.tcp.port}",
                ["JdbcConnectionString"] = "jdbc:postgresql://{postgres.bindings.tcp.host}:{postgres.bindings.tcp.port}",
            },
            Bare.PropertiesOf(server.Resource));
        var databaseProperties = Bare.PropertiesOf(database.Resource);
        Assert.Equal("hello", databaseProperties["DatabaseName"]);
        Assert.Equal("postgresql://postgres:{postgres-password.value}@{postgres.bindings.tcp.host}:{postgres.bindings.tcp.port}/hello", databaseProperties["Uri"]);
        Assert.Equal(
            "Host={postgres.bindings.tcp.host};Port={postgres.bindings.tcp.port};Username=postgres;Password={postgres-password.value}",
            server.Resource.ConnectionStringExpression.ValueExpression);
        Assert.Equal("{postgres.connectionString};Database=hello", database.Resource.ConnectionStringExpression.ValueExpression);
    }

    [Fact]
    public async Task TheServerRunsWithACleanEnvironmentOnTheLoopbackAndAPrivateSocketWithNoPasswordOnItsCommandLine()
    {
        var server = Bare.Builder().AddLocalPostgres("postgres", Installation, Data);

        var arguments = await Bare.ArgumentsOfAsync(server.Resource);

        Assert.Equal(Environment.IsPrivilegedProcess ? "/usr/bin/setpriv" : "/usr/bin/env", server.Resource.Command);
        Assert.Contains(Environment.IsPrivilegedProcess ? "--reset-env" : "-i", arguments);
        Assert.Equal(
            ["-D", Path.Combine(Data, "pgdata"), "-c", "listen_addresses=127.0.0.1", "-c", $"unix_socket_directories={Path.Combine(Data, "socket")}", "-c", "unix_socket_permissions=0700", "-p", "{postgres.bindings.tcp.targetPort}"],
            arguments.SkipWhile(a => a != "-D"));
        Assert.DoesNotContain(arguments, a => a?.Contains("password", StringComparison.OrdinalIgnoreCase) == true);
    }

    [Fact]
    public async Task ThrowawayDurabilityTurnsOffSyncingAndAKeptRunningServerCarriesItsMark()
    {
        var server = Bare.Builder().AddLocalPostgres("postgres", Installation, Data)
            .WithThrowawayDataDurability()
            .WithPersistentServer();

        var arguments = await Bare.ArgumentsOfAsync(server.Resource);

        Assert.Contains("fsync=off", arguments);
        Assert.Contains("full_page_writes=off", arguments);
        Assert.Contains("local_postgres.lifetime=persistent", arguments);
        Assert.True(server.Resource.Persistent);
    }

    [Fact]
    public void NeitherTheServerNorItsDatabaseIsPublished()
    {
        var server = Bare.Builder().AddLocalPostgres("postgres", Installation, Data);
        var database = server.AddDatabase("hello");

        Assert.All(new IResource[] { server.Resource, database.Resource }, resource =>
            Assert.Same(ManifestPublishingCallbackAnnotation.Ignore, resource.Annotations.OfType<ManifestPublishingCallbackAnnotation>().Single()));
    }

    [Fact]
    public void TheDatabaseIsMarkedAsOnAServerTheAppRunsAndSeeds()
    {
        var database = Bare.Builder().AddLocalPostgres("postgres", Installation, Data).AddDatabase("hello");

        Assert.Equal(PostgresDatabaseAnnotation.RunByTheApp, PostgresDatabaseAnnotation.Of(database.Resource));
    }

    [Fact]
    public void ResetDataIsOfferedWithAConfirmationThatNamesTheData()
    {
        var server = Bare.Builder().AddLocalPostgres("postgres", Installation, Data).WithResetDataCommand();

        var command = Assert.Single(server.Resource.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == ResetDataCommand.Name);
        Assert.Equal($"Delete every database and row in '{Path.Combine(Data, "pgdata")}', and seed it again from the seed scripts?", command.ConfirmationMessage);
    }

    [Fact]
    public void UseNewPasswordIsOfferedWithAConfirmationThatNamesTheDataAndTheParameter()
    {
        var server = Bare.Builder().AddLocalPostgres("postgres", Installation, Data).WithUseNewPasswordCommand();

        var command = Assert.Single(server.Resource.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == UseNewPasswordCommand.Name);
        Assert.Equal($"Set the password of the data in '{Path.Combine(Data, "pgdata")}' to the one in Parameters:postgres-password now, and start the server? Nothing is deleted; the old password stops working.", command.ConfirmationMessage);
        Assert.Equal(
            "Fix: keep the data and give it this password (the dashboard's Use new password, or 'aspire resource postgres use-new-password'); or set Parameters:postgres-password back to the one the data was made with; or reset it, which deletes the data.",
            UseNewPasswordCommand.MismatchFix("postgres", server.Resource.PasswordParameter, "reset it"));
    }

    [Fact]
    public void BadArgumentsAreRefusedByName()
    {
        var builder = Bare.Builder();

        Assert.Throws<ArgumentNullException>("builder", () => LocalPostgresBuilderExtensions.AddLocalPostgres(null!, "postgres", Installation, Data));
        Assert.Throws<ArgumentException>("name", () => builder.AddLocalPostgres("", Installation, Data));
        Assert.Throws<ArgumentNullException>("installation", () => builder.AddLocalPostgres("postgres", null!, Data));
        Assert.Throws<ArgumentException>("dataDirectory", () => builder.AddLocalPostgres("postgres", Installation, ""));
        Assert.Throws<ArgumentException>("name", () => builder.AddLocalPostgres("postgres", Installation, Data).AddDatabase(""));
        Assert.Throws<ArgumentException>("data", () => builder.AddLocalPostgres("postgres3", Installation, _folder.Combine("data3")).WithUseNewPasswordCommand("", builder.AddParameter("p", secret: true).Resource, _ => Task.CompletedTask));
    }

    [Fact]
    public void AFolderTheIntegrationDidNotMakeIsRefusedWhenTheModelIsBuiltNamingTheAppsSetting()
    {
        Directory.CreateDirectory(Data);
        File.WriteAllText(Path.Combine(Data, "notes.txt"), "someone else's");
        var names = new LocalPostgresSettingNames { DataDirectory = "Postgres:DataDirectory" };

        var error = Assert.Throws<LocalPostgresException>(() => Bare.Builder().AddLocalPostgres("postgres", Installation, Data, settingNames: names));

        Assert.Equal(
            $"The data directory '{Data}' already holds files the app did not make (notes.txt), so the app will not use it. Nothing in it was changed. " +
            "Fix: set Postgres:DataDirectory to a new or empty directory (the app makes it).",
            error.Message);
    }

    [Fact]
    public void ALinkAsTheDataDirectoryIsRefusedWithTheDefaultWords()
    {
        var link = _folder.Combine("link");
        Directory.CreateDirectory(Data);
        File.CreateSymbolicLink(link, Data);

        var error = Assert.Throws<LocalPostgresException>(() => Bare.Builder().AddLocalPostgres("postgres", Installation, link));

        Assert.Equal(
            $"The data directory '{link}' is a symbolic link, and the app uses only a real directory of its own. Nothing in it was changed. " +
            "Fix: set the data directory to a new path (the app makes the directory).",
            error.Message);
    }

    [Fact]
    public void PublishingChecksNoFolder()
    {
        Directory.CreateDirectory(Data);
        File.WriteAllText(Path.Combine(Data, "notes.txt"), "someone else's");

        var server = Bare.PublishingBuilder(_folder.Path).AddLocalPostgres("postgres", Installation, Data);

        Assert.Equal("postgres", server.Resource.Name);
    }

    [Fact]
    public void AnIncompleteBinDirectoryNamesWhatItLacksAndWhereItWasSet()
    {
        File.WriteAllText(_folder.Combine("postgres"), "");

        var error = Assert.Throws<LocalPostgresException>(() => PostgresInstallation.Find(_folder.Path, [], "Postgres:BinDirectory"));

        Assert.StartsWith($"Postgres:BinDirectory is '{_folder.Path}', but it lacks initdb, psql.", error.Message);
    }

    public void Dispose() => _folder.Dispose();
}

namespace HelloAspire.Hosting.Tests;

/// <summary>The add-ons to Aspire's PostgreSQL container.</summary>
public sealed class PostgresContainerTests : IDisposable
{
    private readonly Bare.Folder _folder = new();

    [Fact]
    public async Task TheSeededDatabaseIsTheImagesPostgresDbAndIsMarkedAsRunByTheApp()
    {
        var server = Bare.Builder().AddPostgres("postgres");

        var hello = server.AddSeededDatabase("hello");

        Assert.Equal("hello", (await Bare.EnvironmentOfAsync(server.Resource))["POSTGRES_DB"]);
        Assert.Equal(PostgresDatabaseAnnotation.RunByTheApp, PostgresDatabaseAnnotation.Of(hello.Resource));
    }

    [Fact]
    public async Task RunningThePasswordReachesTheServerAsAFileNeverAsAVariable()
    {
        var server = Bare.Builder().AddPostgres("postgres").WithPasswordFile();

        var environment = await Bare.EnvironmentOfAsync(server.Resource);

        Assert.DoesNotContain("POSTGRES_PASSWORD", environment.Keys);
        Assert.Equal("/run/secrets/postgres-password", environment["POSTGRES_PASSWORD_FILE"]);
        Assert.Equal("/run/secrets", Assert.Single(server.Resource.Annotations.OfType<ContainerFileSystemCallbackAnnotation>()).DestinationPath);
    }

    [Fact]
    public async Task PublishedThePasswordStaysThePlatformsSecretVariable()
    {
        var server = Bare.PublishingBuilder(_folder.Path).AddPostgres("postgres").WithPasswordFile();

        var environment = await Bare.EnvironmentOfAsync(server.Resource, DistributedApplicationOperation.Publish);

        Assert.Equal("{postgres-password.value}", environment["POSTGRES_PASSWORD"]);
        Assert.Empty(server.Resource.Annotations.OfType<ContainerFileSystemCallbackAnnotation>());
    }

    [Fact]
    public void TheServerListensOnTheIpv4LoopbackItself()
    {
        var server = Bare.Builder().AddPostgres("postgres").WithLoopbackEndpoint();

        Assert.Equal("127.0.0.1", server.Resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "tcp").TargetHost);
    }

    [Fact]
    public void ThrowawayDataIsATmpfsAtPgdata()
    {
        var server = Bare.Builder().AddPostgres("postgres").WithThrowawayData();

        Assert.Equal(["--tmpfs", "/var/lib/postgresql/data"], server.Resource.Annotations.OfType<ContainerRuntimeArgsCallbackAnnotation>().SelectMany(Arguments));
    }

    [Fact]
    public void AResettableVolumeIsAspiresDataVolumeWithTheResetAndNewPasswordCommands()
    {
        var server = Bare.Builder().AddPostgres("postgres").WithImageTag("17.12");

        var volume = server.WithResettableDataVolume(() => "podman");

        var mount = Assert.Single(server.Resource.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal((volume, "/var/lib/postgresql/data"), (mount.Source, mount.Target));
        var command = Assert.Single(server.Resource.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == ResetDataCommand.Name);
        Assert.Equal($"Delete every database and row in the volume '{volume}', and seed it again from the seed scripts?", command.ConfirmationMessage);
        var newPassword = Assert.Single(server.Resource.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == UseNewPasswordCommand.Name);
        Assert.Equal($"Set the password of the data in the volume '{volume}' to the one in Parameters:postgres-password now, and start the server? Nothing is deleted; the old password stops working.", newPassword.ConfirmationMessage);
    }

    [Fact]
    public void TheNewPasswordReachesSingleUserModeAsOneQuotedStatement()
    {
        Assert.Equal("ALTER ROLE \"postgres\" PASSWORD 'it''s-new';\n", UseNewPasswordCommand.SetPasswordStatement("postgres", "it's-new"));
        Assert.True(UseNewPasswordCommand.Failed("2026-12-07 03:16:46.497 UTC [22] ERROR:  role \"app\" does not exist"));
        Assert.False(UseNewPasswordCommand.Failed(""));
    }

    [Fact]
    public void BadArgumentsAreRefusedByName()
    {
        var server = Bare.Builder().AddPostgres("postgres");

        Assert.Throws<ArgumentException>("name", () => server.AddSeededDatabase(""));
        Assert.Throws<ArgumentNullException>("runtimeName", () => server.WithResettableDataVolume(null!));
        Assert.Throws<ArgumentException>("imageFix", () => server.WithStartFailureReport(() => "podman", null, "", stopAppHostOnFailure: false));
    }

    private static List<object> Arguments(ContainerRuntimeArgsCallbackAnnotation annotation)
    {
        var arguments = new List<object>();
        annotation.Callback(new ContainerRuntimeArgsCallbackContext(arguments));
        return arguments;
    }

    public void Dispose() => _folder.Dispose();
}

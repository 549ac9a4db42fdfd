using HelloAspire.AppHost.Database;

namespace HelloAspire.Tests;

/// <summary>The auto-mode decision, with the probes replaced by fixed answers.</summary>
public sealed class ModeSelectionTests
{
    private static readonly ContainerRuntimeProbe s_dockerRunning = new(true, "docker is running");
    private static readonly ContainerRuntimeProbe s_dockerStopped = new(false, "docker is installed but not running");
    private static readonly PostgresInstallation s_debian = new("/usr/lib/postgresql/15/bin");

    private static readonly ContainerImageProbe s_imagePresent = new(true, "docker.io/library/postgres:17.12 is in docker's image store");
    private static readonly ContainerImageProbe s_noRegistry = new(false, "docker.io/library/postgres:17.12 is not in docker's image store and its registry registry-1.docker.io cannot be reached (Name or service not known)");

    private static PostgresModeChoice Choose(PostgresMode requested, bool publish = false, bool connectionString = false,
        ContainerRuntimeProbe? runtime = null, PostgresInstallation? binaries = null, ContainerImageProbe? image = null) =>
        PostgresModeSelector.Choose(requested, publish ? PublishTarget.Container : null, "hello", connectionString,
            () => runtime ?? throw new InvalidOperationException("the runtime was probed"),
            _ => image ?? s_imagePresent,
            () => binaries);

    [Fact]
    public void PublishingAlwaysUsesTheContainer() =>
        Assert.Equal(PostgresMode.Container, Choose(PostgresMode.Local, publish: true, connectionString: true).Mode);

    [Fact]
    public void AutoPrefersAConfiguredConnectionStringWithoutProbing() =>
        Assert.Equal(PostgresMode.Existing, Choose(PostgresMode.Auto, connectionString: true).Mode);

    [Fact]
    public void AutoUsesTheContainerWhenTheRuntimeIsHealthy() =>
        Assert.Equal(PostgresMode.Container, Choose(PostgresMode.Auto, runtime: s_dockerRunning, binaries: s_debian).Mode);

    [Fact]
    public void AutoDoesNotChooseARuntimeThatCannotGetTheImage()
    {
        var choice = Choose(PostgresMode.Auto, runtime: s_dockerRunning, binaries: s_debian, image: s_noRegistry);

        Assert.Equal(PostgresMode.Local, choice.Mode);
        Assert.Contains("docker is running, but docker.io/library/postgres:17.12 is not in docker's image store and its registry registry-1.docker.io cannot be reached", choice.Reason);
    }

    [Fact]
    public void AutoWithARuntimeThatCannotGetTheImageAndNoBinariesNamesTheImageFix()
    {
        var error = Assert.Throws<DistributedApplicationException>(() => Choose(PostgresMode.Auto, runtime: s_dockerRunning, image: s_noRegistry));

        Assert.Contains("cannot be reached", error.Message);
        Assert.Contains("set Postgres:Image to an image you have or can pull", error.Message);
        Assert.Contains("apt-get install postgresql", error.Message);
    }

    [Theory]
    [InlineData("postgres:17.12", "registry-1.docker.io")]
    [InlineData("library/postgres:17.12", "registry-1.docker.io")]
    [InlineData("docker.io/library/postgres:17.12", "registry-1.docker.io")]
    [InlineData("index.docker.io/library/postgres:17.12", "registry-1.docker.io")]
    [InlineData("mirror.example.com/library/postgres:17.12", "mirror.example.com")]
    [InlineData("localhost:5000/postgres:17.12", "localhost:5000")]
    [InlineData("localhost/helloaspire/postgres:17.12", "localhost")]
    public void TheRegistryOfAnImageIsReadAsDockerReadsIt(string reference, string registry) =>
        Assert.Equal(registry, ContainerImageProbe.RegistryOf(reference));

    [Fact]
    public void AutoFallsBackToTheHostBinariesAndSaysWhy()
    {
        var choice = Choose(PostgresMode.Auto, runtime: s_dockerStopped, binaries: s_debian);

        Assert.Equal(PostgresMode.Local, choice.Mode);
        Assert.Same(s_debian, choice.Installation);
        Assert.Contains("docker is installed but not running", choice.Reason);
    }

    [Fact]
    public void AutoWithNoRuntimeAndNoBinariesNamesTheThreeFixes()
    {
        var error = Assert.Throws<DistributedApplicationException>(() => Choose(PostgresMode.Auto, runtime: s_dockerStopped));

        Assert.StartsWith("No PostgreSQL to run: no healthy container runtime (docker is installed but not running), and no PostgreSQL server binaries (", error.Message);
        Assert.Contains("start Docker or Podman", error.Message);
        Assert.Contains("apt-get install postgresql", error.Message);
        Assert.Contains("ConnectionStrings:hello", error.Message);
    }

    [Fact]
    public void ExistingWithoutAConnectionStringSaysWhichKeyToSet()
    {
        var error = Assert.Throws<DistributedApplicationException>(() => Choose(PostgresMode.Existing));

        Assert.Contains("ConnectionStrings:hello is not set", error.Message);
    }

    [Fact]
    public void LocalWithoutBinariesSaysHowToInstallThem()
    {
        var error = Assert.Throws<DistributedApplicationException>(() => Choose(PostgresMode.Local));

        Assert.Contains("apt-get install postgresql", error.Message);
        Assert.Contains("Postgres:BinDirectory", error.Message);
    }

    [Fact]
    public void AnExplicitModeNeverProbesTheRuntime() =>
        Assert.Equal(PostgresMode.Local, Choose(PostgresMode.Local, binaries: s_debian).Mode);
}

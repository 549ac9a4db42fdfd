namespace HelloAspire.Hosting.Tests;

/// <summary>The container checks of one start: each run once, when first asked.</summary>
public sealed class ContainerProbesTests
{
    // How long a check waits for the one that should run beside it: far beyond a thread's start on a busy machine.
    private static readonly TimeSpan s_besideBound = TimeSpan.FromSeconds(30);

    [Fact]
    public void EachCheckRunsOnceHoweverOftenItIsAskedAndNoneBeforeItIsAsked()
    {
        var runtimeChecks = 0;
        var imageChecks = new Dictionary<string, int>();
        var probes = new ContainerProbes(
            () => new(true, $"docker is running ({++runtimeChecks})", "docker"),
            runtime => new(true, $"{runtime} check {(imageChecks[runtime] = imageChecks.GetValueOrDefault(runtime) + 1)}"));

        Assert.Equal(0, runtimeChecks);
        var runtimes = new[] { probes.Runtime, probes.Runtime };
        var images = new[] { probes.Image("docker"), probes.Image("docker"), probes.Image("podman") };

        Assert.All(runtimes, r => Assert.Equal("docker is running (1)", r.Description));
        Assert.Equal(["docker check 1", "docker check 1", "podman check 1"], images.Select(i => i.Description));
    }

    [Fact]
    public void AskingAboutTheRuntimeStartsTheImageCheckOfEachPossibleRuntimeBesideDcpInfo()
    {
        using var imageCheckStarted = new ManualResetEventSlim();
        var asked = new List<string>();
        var probes = new ContainerProbes(
            () => imageCheckStarted.Wait(s_besideBound)
                ? new(true, "podman is running", "podman")
                : new(false, $"no image check started within {s_besideBound.TotalSeconds:0} s while dcp info ran: they ran one after the other"),
            runtime =>
            {
                lock (asked)
                {
                    asked.Add(runtime);
                }

                imageCheckStarted.Set();
                return new(true, $"{runtime} has the image");
            },
            possibleRuntimes: ["podman"]);

        Assert.Equal("podman is running", probes.Runtime.Description);
        Assert.Equal("podman has the image", probes.Image("podman").Description);
        Assert.Equal(["podman"], asked);
    }

    [Fact]
    public void TheRuntimeIsTheConfiguredOneElseTheOneDcpFoundElseDocker()
    {
        ContainerProbes Found(string? runtime, string? configured) =>
            new(() => new(runtime is not null, "dcp info", runtime), _ => new(false, "unused"), configured);

        Assert.Equal("podman", Found("docker", configured: "Podman").RuntimeName);
        Assert.Equal("podman", Found("podman", configured: null).RuntimeName);
        Assert.Equal("docker", Found(null, configured: null).RuntimeName);
    }

    [Theory]
    [InlineData("docker.io/library/postgres:17.12", "registry-1.docker.io", "docker.io")]
    [InlineData("postgres:17.12", "registry-1.docker.io", null)]
    [InlineData("mirror.example.com/library/postgres:17.12", "mirror.example.com", "mirror.example.com")]
    [InlineData("localhost/standin/postgres:17.12", "localhost", "localhost")]
    [InlineData("registry:5000/postgres:17.12", "registry:5000", "registry:5000")]
    public void AnImagesRegistryIsReadAsDockerReadsIt(string reference, string registry, string? host)
    {
        Assert.Equal(registry, ContainerImageProbe.RegistryOf(reference));
        Assert.Equal(host, ContainerImageProbe.HostOf(reference));
    }
}

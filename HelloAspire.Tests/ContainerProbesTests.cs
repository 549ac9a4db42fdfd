using HelloAspire.AppHost.Database;

namespace HelloAspire.Tests;

/// <summary>The container checks of one start (<see cref="ContainerProbes"/>): side by side, and each run once.</summary>
public sealed class ContainerProbesTests
{
    private static readonly TimeSpan s_imageCheckWait = TimeSpan.FromSeconds(10);

    [Fact]
    public void AskingForTheRuntimeChecksTheImageWithEachCandidateMeanwhile()
    {
        using var podmanImageChecked = new ManualResetEventSlim();
        var probes = new ContainerProbes(
            () => podmanImageChecked.Wait(s_imageCheckWait)
                ? new(true, "podman is running", "podman")
                : new(false, "the image check had not run while dcp info ran"),
            ContainerProbes.KnownRuntimes,
            runtime =>
            {
                if (runtime == "podman")
                {
                    podmanImageChecked.Set();
                }

                return new(true, $"postgres is in {runtime}'s image store");
            });

        Assert.Equal("podman is running", probes.Runtime.Description);
        Assert.Equal("postgres is in podman's image store", probes.Image("podman").Description);
    }

    [Fact]
    public void EachCheckRunsOnceHoweverOftenItIsAsked()
    {
        var runtimeChecks = 0;
        var imageChecks = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var probes = new ContainerProbes(
            () => new(true, $"docker is running ({Interlocked.Increment(ref runtimeChecks)})", "docker"),
            ["docker"],
            runtime => new(true, $"{runtime} check {imageChecks.AddOrUpdate(runtime, 1, (_, n) => n + 1)}"));

        var runtimes = new[] { probes.Runtime, probes.Runtime };
        var images = new[] { probes.Image("docker"), probes.Image("docker"), probes.Image("podman") };

        Assert.All(runtimes, r => Assert.Equal("docker is running (1)", r.Description));
        Assert.Equal(["docker check 1", "docker check 1", "podman check 1"], images.Select(i => i.Description));
    }

    [Fact]
    public void ARuntimeThatIsNotInstalledIsSaidSoWithoutAskingTheRegistry()
    {
        var probe = ContainerImageProbe.Run("helloaspire-no-such-runtime", "registry.invalid/library/postgres:17.12");

        Assert.False(probe.IsAvailable);
        Assert.Equal("helloaspire-no-such-runtime is not installed", probe.Description);
    }
}

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

    /// <summary>
    /// A runtime too busy to answer in time (a loaded machine) has not said the image is missing: container mode asked
    /// for goes ahead (a failed pull is still reported), instead of refusing an image that is there.
    /// </summary>
    [Fact]
    public void ARuntimeThatDoesNotAnswerInTimeLeavesTheImageUnansweredNotMissing()
    {
        using var folder = new Support.TemporaryDirectory();
        var slowRuntime = folder.Combine("slow-runtime");
        File.WriteAllText(slowRuntime, "#!/bin/sh\nsleep 10\n");
        File.SetUnixFileMode(slowRuntime, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var probe = ContainerImageProbe.Run(slowRuntime, "registry.invalid/library/postgres:17.12");

        Assert.False(probe.IsAvailable);
        Assert.True(probe.Unanswered, probe.Description);
        Assert.Equal($"{slowRuntime} did not say within 3 s whether registry.invalid/library/postgres:17.12 is in its image store", probe.Description);
    }
}

namespace HelloAspire.Tests;

/// <summary>Whether a container runtime can get an image (<see cref="ContainerImageProbe"/>), asked of programs that are not a runtime.</summary>
public sealed class ContainerImageProbeTests
{
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

namespace HelloAspire.Hosting.Tests;

/// <summary>Reading <c>dcp info</c>'s answer the way Aspire's DcpHost does: healthy = installed and running.</summary>
public sealed class ContainerRuntimeProbeTests
{
    [Fact]
    public void AnInstalledRunningRuntimeIsHealthy()
    {
        var probe = ContainerRuntimeProbe.Parse("""{"version":"0.26.6","containers":{"runtime":"podman","installed":true,"running":true}}""");

        Assert.True(probe.IsHealthy);
        Assert.Equal("podman is running", probe.Description);
    }

    [Fact]
    public void AnInstalledStoppedRuntimeIsUnhealthyAndKeepsDcpsError()
    {
        var probe = ContainerRuntimeProbe.Parse(
            """{"containers":{"runtime":"docker","installed":true,"running":false,"error":"Cannot connect to the Docker daemon\nIs it running?"}}""");

        Assert.False(probe.IsHealthy);
        Assert.Equal("docker is installed but not running (Cannot connect to the Docker daemon Is it running?)", probe.Description);
    }

    [Theory]
    [InlineData("""{"containers":{"runtime":"podman","installed":false,"running":false}}""", "podman is not installed")]
    [InlineData("""{"version":"0.26.6"}""", "DCP reported no container runtime")]
    [InlineData("not json", "'dcp info' answered something unexpected")]
    public void AnythingElseIsUnhealthy(string dcpInfo, string description)
    {
        var probe = ContainerRuntimeProbe.Parse(dcpInfo);

        Assert.False(probe.IsHealthy);
        Assert.StartsWith(description, probe.Description);
    }
}

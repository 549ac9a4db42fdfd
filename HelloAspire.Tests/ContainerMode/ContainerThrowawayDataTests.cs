using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>Throwaway data (Postgres:TemporaryData=true) in container mode: nothing stays in the runtime once the app stops.</summary>
public sealed class ContainerThrowawayDataTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly ContainerApp _container = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThrowawayDataLeavesNoVolumeBehind()
    {
        await Containers.RequireAsync(Ct);
        var app = await _apps.StartAsync(_container.Args("--Postgres:TemporaryData=true"), Ct);
        var worker = await app.WaitForWorkerToEndAsync(Ct);
        var container = _container.ContainerOf(app);
        var volumes = (await Containers.RunCheckedAsync(["container", "inspect", "--format", "{{range .Mounts}}{{.Name}} {{end}}", container], Ct))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        await _apps.StopAsync(app, Ct);
        // DCP removes the container (and with it its anonymous volume) as the app stops; `wait` returns once it is gone.
        await Containers.RunAsync(["wait", "--condition=removing", container], Ct);

        Assert.Equal(0, worker.ExitCode);
        Assert.NotEmpty(volumes); // the image's VOLUME: an anonymous volume, which must go with the container
        Assert.DoesNotContain(_container.Volume, volumes);
        foreach (var volume in volumes)
        {
            Assert.False(await Containers.VolumeExistsAsync(volume, Ct), $"The throwaway container's volume {volume} is still there.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        await _container.DisposeAsync();
    }
}

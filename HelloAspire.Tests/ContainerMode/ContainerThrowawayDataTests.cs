using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>Throwaway data (Postgres:TemporaryData=true) in container mode: in RAM, so nothing stays in the runtime once the app stops.</summary>
public sealed class ContainerThrowawayDataTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly ContainerApp _container = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThrowawayDataLivesInRamAndLeavesNoVolumeBehind()
    {
        await Containers.RequireAsync(Ct);
        var app = await _apps.StartAsync(_container.Args("--Postgres:TemporaryData=true"), Ct);
        var worker = await app.WaitForWorkerToEndAsync(Ct);
        var container = _container.ContainerOf(app);
        var mounts = await Containers.RunCheckedAsync(["container", "inspect", "--format", "{{range .Mounts}}{{.Type}} {{.Name}};{{end}}", container], Ct);
        var tmpfs = await Containers.RunCheckedAsync(["container", "inspect", "--format", "{{json .HostConfig.Tmpfs}}", container], Ct);
        await _apps.StopAsync(app, Ct);
        // DCP removes the container as the app stops; `wait` returns once it is gone.
        await Containers.RunAsync(["wait", "--condition=removing", container], Ct);

        Assert.Equal(0, worker.ExitCode);
        Assert.Equal("", mounts); // not even the image's anonymous volume
        Assert.Contains($"\"{AppHost.Database.HelloDatabaseBuilderExtensions.ContainerDataPath}\"", tmpfs);
        Assert.False(await Containers.VolumeExistsAsync(_container.Volume, Ct));
        Assert.NotEqual(0, (await Containers.RunAsync(["container", "inspect", container], Ct)).ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        await _container.DisposeAsync();
    }
}

using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// How Reset data empties a container volume (<see cref="ContainerVolumes.EmptyAsync"/>): every file goes, hidden ones
/// too, and the volume stays; a volume that a running container uses is refused with the container named, and keeps
/// every file.
/// </summary>
[Collection(ContainerRuns.Name)]
public sealed class ContainerVolumesTests : IAsyncDisposable
{
    private readonly string _volume = $"helloaspire-test-{Guid.NewGuid():N}";
    private string? _container;
    private bool _used;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EmptyingAVolumeDeletesEveryFileButIsRefusedWhileARunningContainerUsesIt()
    {
        await Containers.RequireAsync(Ct);
        _used = true;
        await Containers.RunCheckedAsync(["volume", "create", _volume], Ct);
        await InVolumeAsync("mkdir -p /data/base/1 && touch /data/PG_VERSION /data/.hidden /data/base/1/16384");

        // A container that keeps the volume in use, as a server that is still running would.
        _container = await Containers.RunCheckedAsync(["run", "--detach", "--network", "none", "--entrypoint", "sleep", "--volume", $"{_volume}:/data", Containers.ImageReference, "600"], Ct);
        var refused = await Assert.ThrowsAsync<DistributedApplicationException>(() => ContainerVolumes.EmptyAsync(Containers.Runtime, Containers.ImageReference, _volume, "postgres", Ct));
        var keptWhileUsed = await InVolumeAsync("find /data -mindepth 1 | sort");
        await Containers.RunCheckedAsync(["rm", "--force", "--volumes", "--time", "0", _container], Ct);
        _container = null;

        await ContainerVolumes.EmptyAsync(Containers.Runtime, Containers.ImageReference, _volume, "postgres", Ct);
        var afterEmpty = await InVolumeAsync("find /data -mindepth 1");

        Assert.StartsWith($"The volume '{_volume}' is still used by a running container (", refused.Message);
        Assert.Contains("Fix: stop it, then reset again.", refused.Message);
        Assert.Equal(["/data/.hidden", "/data/PG_VERSION", "/data/base", "/data/base/1", "/data/base/1/16384"], keptWhileUsed.Split('\n'));
        Assert.Equal("", afterEmpty);
        Assert.True(await Containers.VolumeExistsAsync(_volume, Ct), "Emptying removed the volume itself.");
    }

    /// <summary>Runs <paramref name="script"/> in a short-lived container with the volume on /data; returns its output.</summary>
    private Task<string> InVolumeAsync(string script) =>
        Containers.RunCheckedAsync(["run", "--rm", "--network", "none", "--entrypoint", "sh", "--volume", $"{_volume}:/data", Containers.ImageReference, "-c", script], Ct);

    public async ValueTask DisposeAsync()
    {
        if (!_used)
        {
            return;
        }

        if (_container is not null)
        {
            await Containers.RunAsync(["rm", "--force", "--volumes", "--time", "0", _container], CancellationToken.None);
        }

        await Containers.RunAsync(["volume", "rm", "--force", _volume], CancellationToken.None);
    }
}

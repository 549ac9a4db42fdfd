using System.Diagnostics;
using System.Security.Cryptography;
using HelloAspire.AppHost.Database;

namespace HelloAspire.Tests.Support;

/// <summary>
/// The container runtime and PostgreSQL image that container mode's tests run on: <c>ASPIRE_CONTAINER_RUNTIME</c>
/// (podman unless set) and <see cref="ImageVariable"/> (the stand-in that <c>postgres/standin/build-image.sh</c> builds,
/// unless set: <c>docker.io/library/postgres</c> runs them on the official image). A plain <c>dotnet test</c> without
/// them skips these tests and says how to get them; ./test.sh sets them up and requires them.
/// </summary>
public static class Containers
{
    public const string RequireVariable = "HELLOASPIRE_REQUIRE_CONTAINERS";
    public const string ImageVariable = "HELLOASPIRE_TEST_POSTGRES_IMAGE";
    public const string StandInImage = "localhost/helloaspire-standin/postgres";

    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long DCP may take to remove a container once its AppHost process has ended (here a few seconds). A
    /// <c>volume rm --force</c> made meanwhile blocked Podman until it was killed, so the removal is awaited first.
    /// </summary>
    public static readonly TimeSpan ContainerRemovalTimeout = TimeSpan.FromSeconds(60);

    public static string Runtime => Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") is { Length: > 0 } runtime ? runtime : "podman";

    /// <summary>Registry and name, without the tag (the app's pinned one): what <c>Postgres:Image</c> takes.</summary>
    public static string Image => Environment.GetEnvironmentVariable(ImageVariable) is { Length: > 0 } image ? image : StandInImage;

    public static string ImageReference => $"{Image}:{HelloDatabaseBuilderExtensions.PostgresImageTag}";

    /// <summary>Skips the test (or fails it, under ./test.sh) unless the runtime has the image.</summary>
    public static async Task RequireAsync(CancellationToken cancellationToken)
    {
        UseTheProjectsPodmanSettings();
        string reason;
        try
        {
            var (exitCode, _, errors) = await RunAsync(["image", "inspect", "--format", "{{.Id}}", ImageReference], cancellationToken);
            if (exitCode == 0)
            {
                return;
            }

            reason = $"{Runtime} has no image {ImageReference} ({errors.Trim()})";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            reason = $"{Runtime} cannot be run ({ex.Message})";
        }

        reason += $". Fix: run ./test.sh, which installs Podman and builds the stand-in image, or set {ImageVariable} to a PostgreSQL image your runtime can pull (docker.io/library/postgres).";
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            Assert.Fail(reason);
        }

        Assert.Skip(reason);
    }

    /// <summary>
    /// As ./test.sh does: Podman gets the project's settings (postgres/standin/containers.conf) through CONTAINERS_CONF,
    /// in this process and so in what it starts (DCP, podman), unless the environment already names settings.
    /// </summary>
    private static void UseTheProjectsPodmanSettings()
    {
        if (Runtime == "podman" && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CONTAINERS_CONF")))
        {
            var settings = Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "..", "postgres", "standin", "containers.conf"));
            Environment.SetEnvironmentVariable("CONTAINERS_CONF", settings);
        }
    }

    /// <summary>Runs the runtime's CLI, bounded by <see cref="CommandTimeout"/>.</summary>
    public static Task<(int ExitCode, string Output, string Errors)> RunAsync(string[] arguments, CancellationToken cancellationToken) =>
        BoundedProcess.RunAsync(new ProcessStartInfo(Runtime, arguments), CommandTimeout, cancellationToken);

    /// <summary>Runs the runtime's CLI and returns its output; a failure fails the test with what the runtime said.</summary>
    public static async Task<string> RunCheckedAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var (exitCode, output, errors) = await RunAsync(arguments, cancellationToken);
        Assert.True(exitCode == 0, $"'{Runtime} {string.Join(' ', arguments)}' failed (exit code {exitCode}): {errors}");
        return output.Trim();
    }

    public static async Task<bool> VolumeExistsAsync(string volume, CancellationToken cancellationToken) =>
        (await RunAsync(["volume", "inspect", volume], cancellationToken)).ExitCode == 0;
}

/// <summary>
/// One test's container-mode app: its own volume and user secrets (the generated password), through its own
/// AppHost identity (<c>AppHostSha</c>, which names the volume) and user-secrets id. Disposing it removes the volume
/// (and any container still using it), the test's containers and its user secrets.
/// </summary>
public sealed class ContainerApp : IAsyncDisposable
{
    private readonly string _appHostSha = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
    private readonly UserSecretsStore _secrets = new();
    private readonly List<string> _containers = [];

    /// <summary>The data volume, named as Aspire names it: the AppHost's name, its identity's first 10 characters, the resource.</summary>
    public string Volume => $"helloaspire.apphost-{_appHostSha[..10]}-postgres-data";

    // Set once the test uses the runtime: a test skipped for want of one has nothing to remove, and no runtime to ask.
    private bool _used;

    // The directory behind the volume, when the test made the volume itself (RequireWithVolumeInRamAsync).
    private TemporaryDirectory? _volumeDirectory;

    /// <summary>
    /// <see cref="Containers.RequireAsync"/>, then, on Podman, makes the test's volume before DCP would: a named volume
    /// bound to a directory of the test's own in the suite's temporary folder, which ./test.sh keeps in RAM, as it does
    /// local mode's data. Aspire and DCP use it as they would their own (DCP creates a volume only when it is missing);
    /// only the disk writes of each new volume's initdb go. A test of DCP's own volume does not call this.
    /// </summary>
    public async Task RequireWithVolumeInRamAsync(CancellationToken cancellationToken)
    {
        await Containers.RequireAsync(cancellationToken);
        if (Containers.Runtime != "podman")
        {
            return;
        }

        _used = true;
        _volumeDirectory = new TemporaryDirectory();
        await Containers.RunCheckedAsync(["volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt", $"device={_volumeDirectory.Path}", Volume], cancellationToken);
    }

    /// <summary>Container mode on the test image, with this test's identity; the Node.js client off unless asked for.</summary>
    public string[] Args(params string[] more)
    {
        _used = true;
        return ["--Postgres:Mode=container", $"--Postgres:Image={Containers.Image}", "--NodeClient:Enabled=false", $"--AppHostSha={_appHostSha}", _secrets.Argument, .. more];
    }

    /// <summary>The container DCP runs for postgres now (its snapshot's <c>container.id</c>), removed at the end if DCP has not.</summary>
    public string ContainerOf(DistributedApplication app)
    {
        Assert.True(app.ResourceNotifications.TryGetCurrentState("postgres", out var postgres), "postgres has no state yet.");
        var id = postgres.Snapshot.Properties.FirstOrDefault(p => p.Name == "container.id")?.Value?.ToString();
        Assert.False(string.IsNullOrEmpty(id), "postgres has no container id.");
        _containers.Add(id!);
        return id!;
    }

    public async ValueTask DisposeAsync()
    {
        await FailureReport.WriteIfFailedAsync();
        if (!_used)
        {
            return;
        }

        foreach (var container in _containers)
        {
            await Containers.RunAsync(["rm", "--force", "--volumes", container], CancellationToken.None);
        }

        try
        {
            if (_volumeDirectory is not null && !Environment.IsPrivilegedProcess)
            {
                // Under rootless Podman the container's postgres user owns the files as a sub-uid, which this user cannot
                // delete: they are emptied from inside a container. Root deletes them with the directory.
                await ContainerVolumes.EmptyAsync(Containers.Runtime, Containers.ImageReference, Volume, "postgres", CancellationToken.None);
            }
        }
        finally
        {
            _secrets.Dispose();
            try
            {
                await RemoveVolumeAsync();
            }
            finally
            {
                _volumeDirectory?.Dispose();
            }
        }
    }

    /// <summary>
    /// Removes the volume, and with it (<c>--force</c>) a container that still uses it: one an AppHost that failed
    /// half-way left, or DCP's own, which DCP removes a moment after its AppHost has stopped. Racing DCP's removal, the
    /// runtime can refuse; then the containers that still use the volume are removed (the runtime's lock waits for a
    /// removal under way) and the volume again. A volume that stays fails the test with the runtime's words, instead of
    /// being left behind without a word.
    /// </summary>
    private async Task RemoveVolumeAsync()
    {
        const int attempts = 3;
        var errors = "";
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            int exitCode;
            await WaitUntilNoContainerUsesTheVolumeAsync();
            (exitCode, _, errors) = await Containers.RunAsync(["volume", "rm", "--force", Volume], CancellationToken.None);
            if (exitCode == 0 || !await Containers.VolumeExistsAsync(Volume, CancellationToken.None))
            {
                return;
            }

            var users = await Containers.RunAsync(["ps", "--all", "--quiet", "--filter", $"volume={Volume}"], CancellationToken.None);
            foreach (var container in users.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await Containers.RunAsync(["rm", "--force", "--volumes", "--time", "0", container], CancellationToken.None);
            }
        }

        throw new InvalidOperationException($"The test's volume {Volume} could not be removed ({attempts} attempts): {errors.Trim()}");
    }

    /// <summary>DCP's own removal of the test's container, when its AppHost process has just ended, is let finish (bounded).</summary>
    private async Task WaitUntilNoContainerUsesTheVolumeAsync()
    {
        using var bounded = new CancellationTokenSource(Containers.ContainerRemovalTimeout);
        while (!bounded.IsCancellationRequested)
        {
            var users = await Containers.RunAsync(["ps", "--all", "--quiet", "--filter", $"volume={Volume}"], CancellationToken.None);
            if (users.ExitCode == 0 && users.Output.Trim().Length == 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
        }
    }
}

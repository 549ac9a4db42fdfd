using HelloAspire.Hosting.Processes;

namespace Aspire.Hosting;

/// <summary>
/// The container checks of one AppHost start: whether a runtime is healthy (<c>dcp info</c>) and whether a runtime
/// can get the image. Each runs at most once, and none before the runtime is asked about, so a start that never asks
/// costs nothing. Asking about the runtime also starts the image check of each runtime DCP may name, beside
/// <c>dcp info</c> rather than after it: whoever asks about the runtime asks about the image next, and auto mode's
/// choice, which every start of the README's command makes, then waits for the slower check instead of both in turn.
/// </summary>
public sealed class ContainerProbes
{
    private readonly Lazy<Task<ContainerRuntimeProbe>> _runtime;
    private readonly Func<string, ContainerImageProbe> _probeImage;
    private readonly string? _configuredRuntime;
    private readonly IReadOnlyList<string> _possibleRuntimes;
    private readonly Dictionary<string, Task<ContainerImageProbe>> _images = new(StringComparer.Ordinal);

    /// <param name="probeRuntime">Asks DCP whether a runtime is healthy, and which.</param>
    /// <param name="probeImage">Asks one runtime whether it can get the image.</param>
    /// <param name="configuredRuntime">The runtime Aspire is told to use; null lets DCP choose.</param>
    /// <param name="possibleRuntimes">The runtimes whose image checks start with the runtime's check (the ones DCP may name).</param>
    public ContainerProbes(Func<ContainerRuntimeProbe> probeRuntime, Func<string, ContainerImageProbe> probeImage, string? configuredRuntime = null, IEnumerable<string>? possibleRuntimes = null)
    {
        ArgumentNullException.ThrowIfNull(probeRuntime);
        ArgumentNullException.ThrowIfNull(probeImage);
        _probeImage = probeImage;
        _configuredRuntime = configuredRuntime?.ToLowerInvariant();
        _possibleRuntimes = [.. possibleRuntimes ?? []];
        _runtime = new(() =>
        {
            var answer = Beside(probeRuntime);
            foreach (var runtime in _possibleRuntimes)
            {
                _ = ImageCheck(runtime);
            }

            return answer;
        });
    }

    /// <summary>The probes of <paramref name="imageReference"/>, asked the way Aspire asks (its DCP, its configured runtime).</summary>
    public static ContainerProbes For(IDistributedApplicationBuilder builder, string imageReference)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(imageReference);
        var registry = new ContainerImageProbe.RegistryCheck(ContainerImageProbe.RegistryOf(imageReference));
        var configured = ContainerRuntimeProbe.ConfiguredRuntime(builder.Configuration)?.ToLowerInvariant();
        // DCP uses the configured runtime, else one of these two that is installed.
        IEnumerable<string> possible = configured is not null ? [configured] : ["docker", "podman"];
        return new(() => ContainerRuntimeProbe.Run(builder), runtime => ContainerImageProbe.Run(runtime, imageReference, registry),
            configured, possible.Where(runtime => ExecutablePath.Find(runtime) is not null));
    }

    public ContainerRuntimeProbe Runtime => _runtime.Value.GetAwaiter().GetResult();

    /// <summary>
    /// The runtime DCP runs containers with: the configured one, else the one DCP found (it takes podman when docker
    /// is missing), else docker.
    /// </summary>
    public string RuntimeName => _configuredRuntime ?? Runtime.Runtime ?? "docker";

    /// <summary>Whether <paramref name="runtime"/> can get the image.</summary>
    public ContainerImageProbe Image(string runtime) => ImageCheck(runtime).GetAwaiter().GetResult();

    /// <summary>
    /// A check on a thread of its own: each one waits for a program, and the app model is built on a blocked thread
    /// too, so on the thread pool they could hold all of its threads while the waits they need finish on it.
    /// </summary>
    private static Task<T> Beside<T>(Func<T> check) =>
        Task.Factory.StartNew(check, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private Task<ContainerImageProbe> ImageCheck(string runtime)
    {
        runtime = runtime.ToLowerInvariant();
        lock (_images)
        {
            if (!_images.TryGetValue(runtime, out var check))
            {
                _images[runtime] = check = Beside(() => _probeImage(runtime));
            }

            return check;
        }
    }
}

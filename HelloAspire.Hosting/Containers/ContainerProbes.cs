namespace Aspire.Hosting;

/// <summary>
/// The container checks of one AppHost start: whether a runtime is healthy (<c>dcp info</c>) and whether a runtime
/// can get the image. Each runs at most once, when first needed, so a start that never asks costs nothing.
/// </summary>
public sealed class ContainerProbes(Func<ContainerRuntimeProbe> probeRuntime, Func<string, ContainerImageProbe> probeImage, string? configuredRuntime = null)
{
    private readonly Lazy<ContainerRuntimeProbe> _runtime = new(probeRuntime);
    private readonly Dictionary<string, ContainerImageProbe> _images = new(StringComparer.Ordinal);

    /// <summary>The probes of <paramref name="imageReference"/>, asked the way Aspire asks (its DCP, its configured runtime).</summary>
    public static ContainerProbes For(IDistributedApplicationBuilder builder, string imageReference)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(imageReference);
        var registry = new ContainerImageProbe.RegistryCheck(ContainerImageProbe.RegistryOf(imageReference));
        return new(() => ContainerRuntimeProbe.Run(builder), runtime => ContainerImageProbe.Run(runtime, imageReference, registry),
            ContainerRuntimeProbe.ConfiguredRuntime(builder.Configuration));
    }

    public ContainerRuntimeProbe Runtime => _runtime.Value;

    /// <summary>
    /// The runtime DCP runs containers with: the configured one, else the one DCP found (it takes podman when docker
    /// is missing), else docker.
    /// </summary>
    public string RuntimeName => configuredRuntime?.ToLowerInvariant() ?? Runtime.Runtime ?? "docker";

    /// <summary>Whether <paramref name="runtime"/> can get the image.</summary>
    public ContainerImageProbe Image(string runtime)
    {
        lock (_images)
        {
            if (!_images.TryGetValue(runtime, out var probe))
            {
                _images[runtime] = probe = probeImage(runtime);
            }

            return probe;
        }
    }
}

using System.Reflection;
using System.Text.Json;

namespace HelloAspire.AppHost.Database;

/// <summary>
/// Asks DCP whether a container runtime is installed and running: the same <c>dcp info</c> question, and the same
/// answer, that Aspire asks before it starts containers. It costs about 0.1 s.
/// </summary>
public sealed record ContainerRuntimeProbe(bool IsHealthy, string Description, string? Runtime = null)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    public static ContainerRuntimeProbe Run(IDistributedApplicationBuilder builder)
    {
        var dcp = builder.Configuration["DcpPublisher:CliPath"]
            ?? builder.AppHostAssembly?.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => string.Equals(a.Key, "dcpclipath", StringComparison.OrdinalIgnoreCase))?.Value;
        if (dcp is null || !File.Exists(dcp))
        {
            return new(false, "Aspire's orchestrator (DCP) was not found, so no container runtime could be checked");
        }

        var runtime = ConfiguredRuntime(builder.Configuration);
        string[] arguments = string.IsNullOrEmpty(runtime) ? ["info"] : ["info", "--container-runtime", runtime];
        return ProbeCommand.Run(dcp, arguments, s_timeout) switch
        {
            { Finished: true } info => Parse(info.Output),
            { Started: false } => new(false, $"Aspire's orchestrator (DCP) at '{dcp}' could not be started, so no container runtime could be checked"),
            _ => new(false, $"'dcp info' did not answer within {s_timeout.TotalSeconds:0} s"),
        };
    }

    /// <summary>
    /// The runtime DCP runs containers with: the configured one, else the one <paramref name="probe"/> found (DCP takes
    /// podman when docker is missing), else docker. Worked out when first needed, from the app's one probe.
    /// </summary>
    public static Lazy<string> RuntimeName(IConfiguration configuration, ContainerProbes probe) =>
        new(() => ConfiguredRuntime(configuration) ?? probe.Runtime.Runtime ?? "docker");

    /// <summary>The container runtime Aspire is told to use, as DCP reads it; null when none is set.</summary>
    public static string? ConfiguredRuntime(IConfiguration configuration) =>
        configuration["DcpPublisher:ContainerRuntime"]
            ?? configuration["ASPIRE_CONTAINER_RUNTIME"]
            ?? configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"];

    /// <summary>Reads <c>dcp info</c>'s JSON: healthy means containers.installed and containers.running.</summary>
    public static ContainerRuntimeProbe Parse(string dcpInfoJson)
    {
        try
        {
            using var info = JsonDocument.Parse(dcpInfoJson);
            if (!info.RootElement.TryGetProperty("containers", out var containers))
            {
                return new(false, "DCP reported no container runtime");
            }

            var name = containers.TryGetProperty("runtime", out var r) ? r.GetString() : "container runtime";
            var installed = containers.TryGetProperty("installed", out var i) && i.GetBoolean();
            var running = containers.TryGetProperty("running", out var u) && u.GetBoolean();
            var error = containers.TryGetProperty("error", out var e) ? e.GetString()?.ReplaceLineEndings(" ") : null;
            return (installed, running) switch
            {
                (true, true) => new(true, $"{name} is running", name),
                (true, false) => new(false, $"{name} is installed but not running ({error})"),
                _ => new(false, $"{name} is not installed"),
            };
        }
        catch (JsonException ex)
        {
            return new(false, $"'dcp info' answered something unexpected: {ex.Message}");
        }
    }
}

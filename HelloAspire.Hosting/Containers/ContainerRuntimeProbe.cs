using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using HelloAspire.Hosting.Processes;

namespace Aspire.Hosting;

/// <summary>
/// Asks DCP whether a container runtime is installed and running: the same <c>dcp info</c> question, and the same
/// answer, that Aspire asks before it starts containers.
/// </summary>
public sealed record ContainerRuntimeProbe(bool IsHealthy, string Description, string? Runtime = null)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    public static ContainerRuntimeProbe Run(IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var dcp = builder.Configuration["DcpPublisher:CliPath"]
            ?? builder.AppHostAssembly?.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => string.Equals(a.Key, "dcpclipath", StringComparison.OrdinalIgnoreCase))?.Value;
        if (dcp is null || !File.Exists(dcp))
        {
            return new(false, "Aspire's orchestrator (DCP) was not found, so no container runtime could be checked");
        }

        var runtime = ConfiguredRuntime(builder.Configuration);
        string[] arguments = string.IsNullOrEmpty(runtime) ? ["info"] : ["info", "--container-runtime", runtime];
        return ProcessRunner.Run(new ProcessStartInfo(dcp, arguments), s_timeout) switch
        {
            { Finished: true } info => Parse(info.Output),
            { Started: false } => new(false, $"Aspire's orchestrator (DCP) at '{dcp}' could not be started, so no container runtime could be checked"),
            _ => new(false, $"'dcp info' did not answer within {s_timeout.TotalSeconds:0} s"),
        };
    }

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

using System.Diagnostics;
using HelloAspire.Hosting.Processes;

namespace Aspire.Hosting;

/// <summary>
/// Whether a container runtime can get an image: it is in the runtime's store (<c>image inspect</c>), or its registry
/// answers (any HTTP answer from <c>https://&lt;registry&gt;/v2/</c>, as every registry serves it). Both cost at most a
/// few seconds, and only when the app may choose or start a container. A registry that is slow to answer (a busy
/// machine, a far mirror) is <see cref="Unanswered"/>, not known to be unreachable.
/// </summary>
public sealed record ContainerImageProbe(bool IsAvailable, string Description, bool Unanswered = false)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(3);

    public static ContainerImageProbe Run(string runtime, string reference) =>
        Run(runtime, reference, new RegistryCheck(RegistryOf(reference)));

    /// <summary>As <see cref="Run(string, string)"/>, with a registry check that other runtimes' checks share (it runs once).</summary>
    public static ContainerImageProbe Run(string runtime, string reference, RegistryCheck registry)
    {
        switch (ProcessRunner.Run(new ProcessStartInfo(runtime, ["image", "inspect", "--format", "{{.Id}}", reference]), s_timeout))
        {
            case { Started: false }:
                return new(false, $"{runtime} is not installed");
            case { Finished: true, ExitCode: 0 }:
                return new(true, $"{reference} is in {runtime}'s image store");
            case { Finished: false }:
                // A busy machine, not a missing image: the start goes ahead, and a pull that fails is reported.
                return new(false, $"{runtime} did not say within {s_timeout.TotalSeconds:0} s whether {reference} is in its image store", Unanswered: true);
        }

        return registry.Failure is not { } failure
            ? new(true, $"{reference} can be pulled from {registry.Host}")
            : new(false, $"{reference} is not in {runtime}'s image store and its registry {registry.Host} cannot be reached ({failure.Why})", failure.Unanswered);
    }

    /// <summary>Whether a registry answers (any HTTP answer from <c>https://&lt;registry&gt;/v2/</c>), asked once, when first needed.</summary>
    public sealed class RegistryCheck(string host)
    {
        private readonly Lazy<(string Why, bool Unanswered)?> _failure = new(() => Ask(host));

        public string Host => host;

        /// <summary>Why the registry cannot be reached, or null when it answered.</summary>
        public (string Why, bool Unanswered)? Failure => _failure.Value;

        private static (string Why, bool Unanswered)? Ask(string host)
        {
            try
            {
                using var client = new HttpClient { Timeout = s_timeout };
                using var answer = client.Send(new HttpRequestMessage(HttpMethod.Get, $"https://{host}/v2/"));
                return null;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                var unanswered = ex is TaskCanceledException;
                return (unanswered ? $"no answer within {s_timeout.TotalSeconds:0} s" : (ex.InnerException ?? ex).Message, unanswered);
            }
        }
    }

    /// <summary>
    /// The registry host of an image reference, as Docker reads it: the first part when it names a host (a dot, a port
    /// or localhost), else Docker Hub, whose registry answers at registry-1.docker.io.
    /// </summary>
    public static string RegistryOf(string reference) =>
        HostOf(reference) is { } host && host is not ("docker.io" or "index.docker.io") ? host : DockerHubRegistry;

    /// <summary>The reference's first part when it names a registry host (a dot, a port or localhost), else null (Docker Hub).</summary>
    public static string? HostOf(string reference)
    {
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? "" : reference[..slash];
        return first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost" ? first : null;
    }

    public const string DockerHubRegistry = "registry-1.docker.io";
}

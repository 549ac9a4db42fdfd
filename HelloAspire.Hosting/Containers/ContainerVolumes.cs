using System.Diagnostics;
using HelloAspire.Hosting.Processes;

namespace Aspire.Hosting;

/// <summary>Container volumes, through the container runtime's own CLI (the one Aspire's orchestrator uses).</summary>
public static class ContainerVolumes
{
    /// <summary>
    /// Deletes everything in <paramref name="volume"/>, through a short-lived container of <paramref name="image"/> (the
    /// server's own, so already there: no pull, no network), once no running container uses it. The volume and the
    /// server's stopped container stay: DCP removes that container itself when the server starts again, at once,
    /// while one removed behind its back holds the next start until DCP believes it gone.
    /// </summary>
    /// <param name="runtime">docker or podman.</param>
    /// <param name="image">The server's image.</param>
    /// <param name="volume">The volume to empty.</param>
    /// <param name="serverName">The server resource, named in the fix.</param>
    /// <param name="cancellationToken">Stops the runtime's commands.</param>
    public static async Task EmptyAsync(string runtime, string image, string volume, string serverName, CancellationToken cancellationToken)
    {
        var running = await RunAsync(runtime, ["ps", "--quiet", "--filter", $"volume={volume}", "--filter", "status=running"], volume, serverName, cancellationToken);
        if (running.Trim().Length > 0)
        {
            throw new DistributedApplicationException(
                $"The volume '{volume}' is still used by a running container ({running.Trim().ReplaceLineEndings(", ")}). Fix: stop it, then reset again.");
        }

        await RunAsync(runtime, ["run", "--rm", "--pull", "never", "--network", "none", "--user", "0", "--entrypoint", "find", "--volume", $"{volume}:/data", image, "/data", "-mindepth", "1", "-delete"], volume, serverName, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="entrypoint"/> of <paramref name="image"/> on <paramref name="volume"/> (mounted at
    /// <paramref name="mountPath"/>) as <paramref name="user"/>, with no network, in a short-lived container, and
    /// <paramref name="input"/> on its standard input (never on a command line); returns what it wrote to standard error.
    /// </summary>
    public static async Task<string> RunOnAsync(
        string runtime, string image, string volume, string mountPath, string user, string entrypoint, IEnumerable<string> arguments, string input, string serverName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(runtime);
        ArgumentException.ThrowIfNullOrEmpty(volume);
        var result = await RunAsync(runtime,
            ["run", "--rm", "--interactive", "--pull", "never", "--network", "none", "--user", user, "--entrypoint", entrypoint, "--volume", $"{volume}:{mountPath}", image, .. arguments],
            volume, serverName, input, cancellationToken);
        return result.Errors;
    }

    private static async Task<string> RunAsync(string runtime, string[] arguments, string volume, string serverName, CancellationToken cancellationToken) =>
        (await RunAsync(runtime, arguments, volume, serverName, input: null, cancellationToken)).Output;

    private static async Task<ProcessResult> RunAsync(string runtime, string[] arguments, string volume, string serverName, string? input, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync(new ProcessStartInfo(runtime, arguments), cancellationToken, input);
        if (!result.Started)
        {
            throw new DistributedApplicationException(
                $"'{runtime}' could not be run on the volume '{volume}'. Fix: set ASPIRE_CONTAINER_RUNTIME to the runtime Aspire uses (docker or podman).");
        }

        if (!result.Succeeded)
        {
            throw new DistributedApplicationException(
                $"'{runtime} {string.Join(' ', arguments)}' failed (exit code {result.ExitCode}): {result.Errors.Trim()} Fix: make sure {runtime} runs and still has the image, then try again; or, to start afresh, remove the volume yourself while {serverName} is stopped ('{runtime} volume rm {volume}').");
        }

        return result;
    }
}

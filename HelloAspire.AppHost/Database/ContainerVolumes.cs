using System.Diagnostics;

namespace HelloAspire.AppHost.Database;

/// <summary>Container volumes, through the container runtime's own CLI (the one Aspire's orchestrator uses).</summary>
public static class ContainerVolumes
{
    /// <summary>
    /// Deletes everything in <paramref name="volume"/>, through a short-lived container of <paramref name="image"/> (the
    /// server's own, so already there: no pull, no network), once no running container uses it. The volume and the
    /// server's stopped container stay: removing that container behind DCP's back holds its next start for about 10 s
    /// (DCP retries with backoff before it believes the container is gone), while DCP removes it at once itself when
    /// the server starts again. A failure says what the runtime said, and the fix.
    /// </summary>
    public static async Task EmptyAsync(string runtime, string image, string volume, CancellationToken cancellationToken)
    {
        var running = await RunAsync(runtime, ["ps", "--quiet", "--filter", $"volume={volume}", "--filter", "status=running"], volume, cancellationToken);
        if (running.Trim().Length > 0)
        {
            throw new DistributedApplicationException(
                $"The volume '{volume}' is still used by a running container ({running.Trim().ReplaceLineEndings(", ")}). Fix: stop it, then reset again.");
        }

        await RunAsync(runtime, ["run", "--rm", "--pull", "never", "--network", "none", "--user", "0", "--entrypoint", "find", "--volume", $"{volume}:/data", image, "/data", "-mindepth", "1", "-delete"], volume, cancellationToken);
    }

    private static async Task<string> RunAsync(string runtime, string[] arguments, string volume, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(runtime, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Start(startInfo, volume);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new DistributedApplicationException(
                $"'{runtime} {string.Join(' ', arguments)}' failed (exit code {process.ExitCode}): {(await errors).Trim()} Fix: make sure {runtime} runs and still has the image, then reset again; or remove the volume yourself while postgres is stopped ('{runtime} volume rm {volume}').");
        }

        return output;
    }

    private static Process Start(ProcessStartInfo startInfo, string volume)
    {
        try
        {
            return Process.Start(startInfo)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new DistributedApplicationException(
                $"'{startInfo.FileName}' could not be run to empty the volume '{volume}' ({ex.Message}). Fix: set ASPIRE_CONTAINER_RUNTIME to the runtime Aspire uses (docker or podman).", ex);
        }
    }
}

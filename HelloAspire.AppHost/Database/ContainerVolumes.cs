using System.Diagnostics;

namespace HelloAspire.AppHost.Database;

/// <summary>Container volumes, through the container runtime's own CLI (the one Aspire's orchestrator uses).</summary>
public static class ContainerVolumes
{
    /// <summary>
    /// Removes <paramref name="volume"/> once its container has stopped. DCP keeps a stopped container (with its hold on
    /// the volume) until its next start, which makes a new one: stopped containers that use the volume are removed
    /// first, a running one never. A failure says what the runtime said, and the fix.
    /// </summary>
    public static async Task RemoveAsync(string runtime, string volume, CancellationToken cancellationToken)
    {
        var stopped = await RunAsync(runtime, ["ps", "--all", "--quiet", "--filter", $"volume={volume}", "--filter", "status=exited"], volume, cancellationToken);
        foreach (var container in stopped.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            await RunAsync(runtime, ["rm", container], volume, cancellationToken);
        }

        await RunAsync(runtime, ["volume", "rm", volume], volume, cancellationToken);
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
                $"'{runtime} {string.Join(' ', arguments)}' failed (exit code {process.ExitCode}): {(await errors).Trim()} Fix: stop what still uses the volume '{volume}', then reset again.");
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
                $"'{startInfo.FileName}' could not be run to remove the volume '{volume}' ({ex.Message}). Fix: set ASPIRE_CONTAINER_RUNTIME to the runtime Aspire uses (docker or podman).", ex);
        }
    }
}

using System.Diagnostics;

namespace HelloAspire.AppHost.Database;

/// <summary>Container volumes, through the container runtime's own CLI (the one Aspire's orchestrator uses).</summary>
public static class ContainerVolumes
{
    /// <summary>Removes <paramref name="volume"/> (its container must have stopped); a failure says what the runtime said, and the fix.</summary>
    public static async Task RemoveAsync(string runtime, string volume, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(runtime, ["volume", "rm", volume]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Start(startInfo, volume);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new DistributedApplicationException(
                $"'{runtime} volume rm {volume}' failed (exit code {process.ExitCode}): {(await errors).Trim()} Fix: stop what still uses the volume, then reset again.");
        }
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

using System.Diagnostics;

namespace HelloAspire.AppHost.Database;

/// <summary>
/// A short command that a probe runs while the app model is built (<c>dcp info</c>, <c>docker image inspect</c>):
/// both streams read, killed when it does not finish within the bound.
/// </summary>
internal static class ProbeCommand
{
    /// <summary>How it ended: not started (the command is not on the PATH), killed at <paramref name="timeout"/>, or its exit code and standard output.</summary>
    public static ProbeResult Run(string command, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var startInfo = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(startInfo)!;
            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return new(Started: true, Finished: false, -1, "");
            }

            return new(Started: true, Finished: true, process.ExitCode, output.Result);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return new(Started: false, Finished: false, -1, ""); // the command is not on the PATH
        }
    }
}

internal sealed record ProbeResult(bool Started, bool Finished, int ExitCode, string Output);

using System.Diagnostics;

namespace HelloAspire.AppHost.Database;

/// <summary>
/// A short command that a probe runs while the app model is built (<c>dcp info</c>, <c>docker image inspect</c>):
/// both streams read, killed when it does not finish within the bound.
/// </summary>
internal static class ProbeCommand
{
    /// <summary>Its exit code and standard output; null when it could not be started or did not finish within <paramref name="timeout"/>.</summary>
    public static (int ExitCode, string Output)? Run(string command, IEnumerable<string> arguments, TimeSpan timeout)
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
                process.Kill();
                return null;
            }

            return (process.ExitCode, output.Result);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // the command is not on the PATH
        }
    }
}

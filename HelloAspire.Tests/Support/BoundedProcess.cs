using System.Diagnostics;

namespace HelloAspire.Tests.Support;

/// <summary>A program run to its end within a bound: both output streams read whole, the process tree killed if it overruns.</summary>
public static class BoundedProcess
{
    // How long the streams of a killed program may take to close: its tree is gone, so only a stray holder delays them.
    private static readonly TimeSpan s_streamsAfterKill = TimeSpan.FromSeconds(10);

    /// <exception cref="TimeoutException">The program outran <paramref name="timeout"/> and was killed: the message holds what it wrote until then.</exception>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(ProcessStartInfo startInfo, TimeSpan timeout, CancellationToken cancellationToken)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        using var process = Process.Start(startInfo)!;
        using var bounded = HelloApp.Timeout(timeout, cancellationToken);
        // Read without the bound: a program killed for overrunning it has its streams closed, and what it wrote goes
        // into the failure, which otherwise would say only that something was cancelled.
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(bounded.Token);
            return (process.ExitCode, await output.WaitAsync(bounded.Token), await errors.WaitAsync(bounded.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            string SoFar(Task<string> stream) => stream.IsCompletedSuccessfully ? stream.Result : "(its stream was still open)";
            await Task.WhenAny(Task.WhenAll(output, errors), Task.Delay(s_streamsAfterKill, CancellationToken.None));
            throw new TimeoutException(
                $"'{startInfo.FileName}' did not end within {timeout.TotalSeconds:0} s and was killed. What it wrote until then:{Environment.NewLine}" +
                $"{SoFar(output)}{Environment.NewLine}{SoFar(errors)}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}

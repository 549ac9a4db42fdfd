using System.Diagnostics;

namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>Runs a one-shot tool (initdb, psql, a seed script, cp) to completion; its output goes to the resource's log.</summary>
/// <remarks>The tool reads <c>standardInput</c> when given, else an empty standard input.</remarks>
internal static class ToolProcess
{
    /// <summary>Runs <paramref name="startInfo"/> (see <see cref="ServerAccount.ToolStartInfo"/>): its exit code and standard error.</summary>
    public static async Task<ToolResult> RunAsync(ProcessStartInfo startInfo, ILogger resourceLog, CancellationToken cancellationToken, string? standardInput = null)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.RedirectStandardInput = true;
        startInfo.UseShellExecute = false;

        using var process = new Process { StartInfo = startInfo };
        var errors = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Log.ToolOutput(resourceLog, line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                lock (errors)
                {
                    errors.Add(line);
                }

                Log.ToolError(resourceLog, line);
            }
        };

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await WriteInputAsync(process, standardInput, cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        lock (errors)
        {
            return new ToolResult(process.ExitCode, string.Join(Environment.NewLine, errors));
        }
    }

    private static async Task WriteInputAsync(Process process, string? standardInput, CancellationToken cancellationToken)
    {
        try
        {
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The tool ended before it read its input (psql could not connect): its exit code and errors tell why.
        }
    }
}

internal sealed record ToolResult(int ExitCode, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}

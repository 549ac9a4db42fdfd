using System.Diagnostics;

namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>Runs a one-shot tool (initdb, psql, a seed .sh) to completion; its output goes to the resource's log.</summary>
/// <remarks>The tool reads <c>standardInput</c> when given, else an empty standard input.</remarks>
internal static class ToolProcess
{
    public static async Task<ToolResult> RunAsync(
        string command,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment,
        ILogger resourceLog,
        CancellationToken cancellationToken,
        string? standardInput = null)
    {
        var startInfo = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

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

using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace HelloAspire.Hosting.Processes;

/// <summary>
/// The one way the library runs a program: both output streams read (each line also written to a log when one is
/// given), standard input given or closed at once (never the AppHost's own), and the program killed with its
/// children when it outlives its bound or its caller cancels.
/// </summary>
internal static partial class ProcessRunner
{
    /// <summary>Runs <paramref name="startInfo"/> to its end. A program that cannot be started (not installed) is a result, not an exception.</summary>
    public static async Task<ProcessResult> RunAsync(
        ProcessStartInfo startInfo,
        CancellationToken cancellationToken,
        string? input = null,
        ILogger? log = null,
        TimeSpan? timeout = null)
    {
        using var process = Start(startInfo, log, out var output, out var errors);
        if (process is null)
        {
            return ProcessResult.NotStarted;
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } bound)
        {
            bounded.CancelAfter(bound);
        }

        try
        {
            await WriteInputAsync(process, input, bounded.Token);
            await process.WaitForExitAsync(bounded.Token);
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            return ProcessResult.TimedOut;
        }

        return new(Started: true, Finished: true, process.ExitCode, await output, await errors);
    }

    /// <summary>As <see cref="RunAsync"/>, for the checks that run while the app model is built, which is not asynchronous.</summary>
    public static ProcessResult Run(ProcessStartInfo startInfo, TimeSpan timeout) =>
        RunAsync(startInfo, CancellationToken.None, timeout: timeout).GetAwaiter().GetResult();

    /// <summary>Starts a program that runs on (a server) with its output written to <paramref name="log"/>; null when it cannot be started.</summary>
    public static Process? StartLogged(ProcessStartInfo startInfo, ILogger log)
    {
        var process = Start(startInfo, log, out _, out _);
        process?.StandardInput.Close();
        return process;
    }

    private static Process? Start(ProcessStartInfo startInfo, ILogger? log, out Task<string> output, out Task<string> errors)
    {
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.RedirectStandardInput = true;
        var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception)
        {
            process.Dispose();
            output = errors = Task.FromResult("");
            return null;
        }

        output = ReadAsync(process.StandardOutput, line => LogOutput(log!, line), log is not null);
        errors = ReadAsync(process.StandardError, line => LogError(log!, line), log is not null);
        return process;
    }

    private static async Task<string> ReadAsync(StreamReader stream, Action<string> logLine, bool logs)
    {
        var text = new StringBuilder();
        while (await stream.ReadLineAsync() is { } line)
        {
            text.AppendLine(line);
            if (logs && line.Length > 0)
            {
                logLine(line);
            }
        }

        return text.ToString();
    }

    private static async Task WriteInputAsync(Process process, string? input, CancellationToken cancellationToken)
    {
        try
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program ended before it read its input (psql that could not connect): its exit code and errors say why.
        }
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogOutput(ILogger logger, string line);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "{Line}")]
    private static partial void LogError(ILogger logger, string line);
}

/// <summary>How a program ended: not started (not installed), killed at its bound, or its exit code and output.</summary>
internal sealed record ProcessResult(bool Started, bool Finished, int ExitCode, string Output, string Errors)
{
    public static readonly ProcessResult NotStarted = new(Started: false, Finished: false, -1, "", "");

    public static readonly ProcessResult TimedOut = new(Started: true, Finished: false, -1, "", "");

    public bool Succeeded => Finished && ExitCode == 0;
}

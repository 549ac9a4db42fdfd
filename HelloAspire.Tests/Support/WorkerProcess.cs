using System.Diagnostics;

namespace HelloAspire.Tests.Support;

/// <summary>The built worker run on its own (no AppHost), as a user could run it, with the environment given.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _output;
    private readonly Task<string> _errors;

    private WorkerProcess(IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var worker = Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "..", "HelloAspire.Worker", "bin", configuration, "net10.0", "HelloAspire.Worker.dll"));
        var startInfo = new ProcessStartInfo("dotnet", [worker]) { RedirectStandardOutput = true, RedirectStandardError = true };
        startInfo.Environment.Remove("ConnectionStrings__hello");
        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        _process = Process.Start(startInfo)!;
        _output = _process.StandardOutput.ReadToEndAsync(cancellationToken);
        _errors = _process.StandardError.ReadToEndAsync(cancellationToken);
    }

    public static WorkerProcess Start(IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken) =>
        new(environment, cancellationToken);

    /// <summary>Waits (bounded) for the worker to exit; returns its exit code, standard output and standard error.</summary>
    public async Task<(int ExitCode, string Output, string Errors)> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        await _process.WaitForExitAsync(bounded.Token);
        return (_process.ExitCode, await _output, await _errors);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}

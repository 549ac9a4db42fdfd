using System.Diagnostics;

namespace HelloAspire.Tests.Support;

/// <summary>A client run on its own (no AppHost), as a user or a deployment runs it, with the environment given.</summary>
public sealed class ClientProcess : IDisposable
{
    private readonly Process _process;
    private readonly Lock _outputLock = new();
    private readonly List<string> _output = [];
    private readonly List<string> _errors = [];
    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

    private ClientProcess(ProcessStartInfo startInfo, IReadOnlyDictionary<string, string?> environment)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        // Only what the test gives: none of the PostgreSQL settings of the machine or of the test run.
        foreach (var inherited in startInfo.Environment.Keys.Where(name => name.StartsWith("PG", StringComparison.Ordinal) || name.StartsWith("ConnectionStrings__", StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(inherited);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        _process = new Process { StartInfo = startInfo };
        _process.OutputDataReceived += (_, e) => OnLine(_output, e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(_errors, e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var program = $"{Path.GetFileName(startInfo.FileName)} process {_process.Id}";
        FailureReport.Current?.Add($"{program}: its output", () => Lines(_output));
        FailureReport.Current?.Add($"{program}: its standard error", () => Lines(_errors));
    }

    /// <summary>The worker, as the AppHost's build recorded its program (in Release builds, the ReadyToRun one).</summary>
    public static ClientProcess Start(IReadOnlyDictionary<string, string?> environment)
    {
        var project = Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "..", "HelloAspire.Worker", "HelloAspire.Worker.csproj"));
        var worker = BuildOutputLaunchExtensions.FindBuiltProgram(typeof(AppHost.Database.HelloDatabaseBuilderExtensions).Assembly, project)
            ?? throw new InvalidOperationException($"The AppHost's build recorded no program for {project}. Fix: build the solution.");
        return new(new ProcessStartInfo(worker), environment);
    }

    /// <summary>The tutorial's Node.js client, as its image runs it (see node-client/Dockerfile's CMD).</summary>
    public static ClientProcess StartNodeClient(IReadOnlyDictionary<string, string?> environment) =>
        new(new ProcessStartInfo("node", ["--require", "./tracing.js", "--require", "./require-auth.js", "index.js"]) { WorkingDirectory = NodeClientRuns.Directory }, environment);

    /// <summary>Waits (bounded) until the worker has written <paramref name="text"/> to its standard output.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan timeout, CancellationToken cancellationToken) => WaitForAsync(_output, text, timeout, cancellationToken);

    /// <summary>Waits (bounded) until the worker has written <paramref name="text"/> to its standard error.</summary>
    public Task WaitForErrorAsync(string text, TimeSpan timeout, CancellationToken cancellationToken) => WaitForAsync(_errors, text, timeout, cancellationToken);

    private async Task WaitForAsync(List<string> stream, string text, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_outputLock)
        {
            if (stream.Any(line => line.Contains(text, StringComparison.Ordinal)))
            {
                return;
            }

            _waiters.Add((text, seen));
        }

        try
        {
            await seen.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            lock (_outputLock)
            {
                throw new TimeoutException(
                    $"The worker did not write '{text}' within {timeout.TotalSeconds:0} s. Its output:{Environment.NewLine}{string.Join(Environment.NewLine, _output)}{Environment.NewLine}Its errors:{Environment.NewLine}{string.Join(Environment.NewLine, _errors)}");
            }
        }
    }

    /// <summary>Waits (bounded) for the worker to exit; returns its exit code, standard output and standard error.</summary>
    public async Task<(int ExitCode, string Output, string Errors)> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = HelloApp.Timeout(timeout, cancellationToken);
        await _process.WaitForExitAsync(bounded.Token);
        lock (_outputLock)
        {
            return (_process.ExitCode, string.Join('\n', _output), string.Join('\n', _errors));
        }
    }

    private string Lines(List<string> stream)
    {
        lock (_outputLock)
        {
            return string.Join(Environment.NewLine, stream);
        }
    }

    /// <summary>SIGTERM, as a container platform stops a running app.</summary>
    public void Terminate()
    {
        using var terminate = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        terminate.WaitForExit();
    }

    public bool HasExited => _process.HasExited;

    private void OnLine(List<string> stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            stream.Add(line);
            foreach (var waiter in _waiters.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
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

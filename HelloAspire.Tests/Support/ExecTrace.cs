using System.Diagnostics;
using System.Text.RegularExpressions;

namespace HelloAspire.Tests.Support;

/// <summary>
/// Every program a run starts, with its whole command line: the AppHost runs under <c>strace -f</c>, which follows
/// every process it and its children start (DCP, podman, setpriv, psql, initdb, the server, node) and records each
/// <c>execve</c>, however short-lived. What any local user could read in <c>/proc/&lt;pid&gt;/cmdline</c> while that
/// process ran is in here. Only the calls that start programs stop the processes (seccomp), so the run keeps its pace.
/// </summary>
public sealed partial class ExecTrace : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    private string? _lastLines;

    public ExecTrace() =>
        FailureReport.Current?.Add("the trace: its last lines (programs started, processes ended)", () => _lastLines ?? LastLines());

    private string LastLines() =>
        File.Exists(TraceFile)
            ? string.Join(Environment.NewLine, File.ReadLines(TraceFile).Take(2).Concat(["…"]).Concat(File.ReadLines(TraceFile).TakeLast(60)).Select(line => line.Length > 300 ? line[..300] + "…" : line))
            : "(no trace written)";

    private string TraceFile => _directory.Combine("execve.trace");

    /// <summary>The same command, run under the tracer.</summary>
    public ProcessStartInfo Wrap(ProcessStartInfo command)
    {
        var traced = new ProcessStartInfo("strace")
        {
            RedirectStandardOutput = command.RedirectStandardOutput,
            RedirectStandardError = command.RedirectStandardError,
            WorkingDirectory = command.WorkingDirectory,
        };
        foreach (var argument in (string[])["-f", "--seccomp-bpf", "-q", "-e", "trace=execve,execveat", "-e", "signal=none", "-s", "1000000", "-o", TraceFile, "--", command.FileName, .. command.ArgumentList])
        {
            traced.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in command.Environment)
        {
            traced.Environment[name] = value;
        }

        return traced;
    }

    /// <summary>
    /// Waits until the traced program itself has exited, and returns its exit code; then the tracer lets go of what
    /// the program left running (aardvark-dns, which netavark starts for a container network and keeps running, would
    /// hold the tracer forever) and ends. Programs started after that are not traced. The end is read from /proc, not
    /// from the trace: strace writes its file through a buffer, which it flushes when it ends.
    /// </summary>
    public async Task<int> WaitForTracedProgramAsync(Process tracer, CancellationToken cancellationToken)
    {
        var program = await TracedProgramAsync(tracer, cancellationToken);
        string? atTimeout = null;
        FailureReport.Current?.Add($"the traced program (process {program}) and the tracer (process {tracer.Id}) when the wait ended", () => atTimeout ?? "(the wait did not time out)");
        try
        {
            while (IsRunning(program))
            {
                if (tracer.HasExited)
                {
                    return tracer.ExitCode;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // What the program and its tracer were doing when the wait gave up: "t" is a stop for the tracer.
            var tree = ProcessTree(program);
            var first = StoppedForTracer(tree);
            await Task.Delay(s_heldCheckInterval, CancellationToken.None);
            var held = first.Intersect(StoppedForTracer(tree)).ToList();
            atTimeout = string.Join(Environment.NewLine, tree.Prepend(tracer.Id).Select(pid => $"process {pid}: {DescribeProcess(pid)}"));
            if (held.Count > 0)
            {
                // strace now and then leaves threads stopped at a fork for good, in the full suite only. Without the
                // tracer the program's later execve calls would fail (its seccomp filter stays), so the whole run ends
                // here, the program first, then DCP's detached copy, then the tracer; its containers are the caller's
                // to remove.
                foreach (var pid in tree.Concat(OrchestratorProcesses.Of(program)).Append(tracer.Id))
                {
                    KillProcess(pid);
                }

                throw new TracerHeldException(
                    $"strace held the traced program: threads {string.Join(", ", held)} stayed stopped for the tracer when the wait ended.{Environment.NewLine}{atTimeout}");
            }

            throw;
        }

        using (var detach = Process.Start("kill", ["-TERM", tracer.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await detach.WaitForExitAsync(cancellationToken);
        }

        await tracer.WaitForExitAsync(cancellationToken);
        var exited = new Regex($@"^{program}\s+\+\+\+ (exited with (?<code>\d+)|killed by (?<signal>\S+).*) \+\+\+$");
        return File.ReadLines(TraceFile).Select(line => exited.Match(line)).FirstOrDefault(match => match.Success) is { } end
            ? end.Groups["code"].Success ? int.Parse(end.Groups["code"].Value, System.Globalization.CultureInfo.InvariantCulture) : 128
            : throw new InvalidOperationException($"Process {program} has ended, but the trace has no line for its end.");
    }

    // A thread stops for the tracer at every fork and execve for a moment; held, it is still stopped a while later.
    private static readonly TimeSpan s_heldCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>The threads of these processes stopped for their tracer (state "t").</summary>
    private static HashSet<string> StoppedForTracer(IEnumerable<int> processes) =>
        [.. processes.SelectMany(pid => Directory.Exists($"/proc/{pid}/task") ? Directory.EnumerateDirectories($"/proc/{pid}/task") : [])
            .Where(task => ThreadState(task) == 't')
            .Select(Path.GetFileName)
            .OfType<string>()];

    private static char? ThreadState(string task)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(task, "stat"));
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault();
        }
        catch (IOException)
        {
            return null; // the thread ended meanwhile
        }
    }

    private static void KillProcess(int pid)
    {
        try
        {
            Process.GetProcessById(pid).Kill();
        }
        catch (ArgumentException)
        {
            // It has exited meanwhile.
        }
        catch (InvalidOperationException)
        {
            // It has exited meanwhile.
        }
    }

    /// <summary>True until the process is gone or a zombie (ended, not yet reaped).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false; // gone (FileNotFoundException and DirectoryNotFoundException are IOExceptions)
        }
    }

    /// <summary>A process and its descendants, from /proc's lists of children.</summary>
    private static List<int> ProcessTree(int root)
    {
        var tree = new List<int>();
        var next = new Queue<int>([root]);
        while (next.TryDequeue(out var pid) && tree.Count < 200)
        {
            tree.Add(pid);
            foreach (var task in Directory.Exists($"/proc/{pid}/task") ? Directory.EnumerateDirectories($"/proc/{pid}/task") : [])
            {
                try
                {
                    foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        next.Enqueue(int.Parse(child, System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
                catch (IOException)
                {
                    // The thread ended meanwhile.
                }
            }
        }

        return tree;
    }

    /// <summary>A process's state, its threads' states and what each waits in, and its children: for a program that does not end.</summary>
    private static string DescribeProcess(int pid)
    {
        if (!Directory.Exists($"/proc/{pid}"))
        {
            return "(it has exited)";
        }

        List<string> lines;
        try
        {
            lines = [$"{File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()} " +
                string.Join(" ", File.ReadLines($"/proc/{pid}/status").Where(line => line.StartsWith("State:", StringComparison.Ordinal) || line.StartsWith("Threads:", StringComparison.Ordinal)))];
        }
        catch (IOException)
        {
            return "(it has exited)";
        }

        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                lines.Add($"  thread {Path.GetFileName(task)}: {stat[(stat.IndexOf('(', StringComparison.Ordinal))..(stat.LastIndexOf(')') + 3)]} wchan={File.ReadAllText(Path.Combine(task, "wchan"))} children={File.ReadAllText(Path.Combine(task, "children")).Trim()}");
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>
    /// The program the tracer was asked to run: the process of the trace's first line, its <c>execve</c>. (Not the
    /// tracer's first child: strace first forks short-lived children of its own to test what ptrace can do, and a busy
    /// machine can show one of those.)
    /// </summary>
    private async Task<int> TracedProgramAsync(Process tracer, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (File.Exists(TraceFile) && File.ReadLines(TraceFile).FirstOrDefault() is { } first && ExecLine().IsMatch(first))
            {
                return int.Parse(first[..first.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            }

            if (tracer.HasExited)
            {
                throw new InvalidOperationException($"strace ended with exit code {tracer.ExitCode} before the program it was to run started.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
    }

    /// <summary>
    /// Each program started or tried (a PATH search tries several), as its command line: program, then arguments, as
    /// strace quotes them. A call another process's output interrupts is written in two parts; its first holds the
    /// whole command line.
    /// </summary>
    public IReadOnlyList<string> CommandLines() =>
        [.. File.ReadLines(TraceFile).Select(line => ExecLine().Match(line)).Where(match => match.Success).Select(match => match.Groups["call"].Value)];

    // "1234  execve("/usr/bin/podman", ["podman", "create", …], 0x7ffd… /* 42 vars */) = 0", or "… <unfinished ...>":
    // the environment is left out (strace's default), and the arguments are whole (-s).
    [GeneratedRegex(@"^\d+\s+(?<call>execve(at)?\(.*)$")]
    private static partial Regex ExecLine();

    /// <summary>Keeps the trace's last lines for a failure report (written after this is disposed), then deletes the trace.</summary>
    public void Dispose()
    {
        _lastLines = LastLines();
        _directory.Dispose();
    }
}

/// <summary>The tracer, not the program, stopped the run: its threads waited for strace when the run's bound ended.</summary>
public sealed class TracerHeldException(string message) : Exception(message);

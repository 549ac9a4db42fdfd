using System.Diagnostics;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The AppHost itself is killed: its server does not outlive it, and the next run starts cleanly on the same data.</summary>
public sealed class AppHostCrashTests : IAsyncDisposable
{
    private static readonly TimeSpan s_orphanTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_orchestratorEndTimeout = TimeSpan.FromSeconds(20);

    private readonly TestApps _apps = new();

    [Fact]
    public async Task AKilledAppHostLeavesNoServerBehindAndTheNextRunStartsCleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        await RunUntilTheWorkerEndsThenKillAsync(appHost => appHost.Kill(), ct); // SIGKILL: no shutdown code of the AppHost runs

        using (var server = Process.GetProcessById(HelloApp.PostmasterPid(_apps.Data.Path)!.Value))
        {
            using var orphan = HelloApp.Timeout(s_orphanTimeout, ct);
            await server.WaitForExitAsync(orphan.Token); // DCP stops the server once its AppHost is gone
        }

        var next = await _apps.RunUntilWorkerEndsAsync(HelloApp.LocalMode(_apps.Data.Path), ct);

        Assert.Equal(0, next.Worker.ExitCode);
        Assert.Contains("Using the kept data", next.PostgresLog);
    }

    /// <summary>
    /// The OOM killer, or kill -9 of the AppHost and its orchestrator together: the server survives them, and no
    /// AppHost holds its data any more, so the next run stops it (fast shutdown) and goes on instead of refusing.
    /// </summary>
    [Fact]
    public async Task AServerLeftRunningByAKilledAppHostAndOrchestratorIsStoppedByTheNextRun()
    {
        var ct = TestContext.Current.CancellationToken;
        await RunUntilTheWorkerEndsThenKillAsync(appHost => KillTreeExceptPostgres(appHost.Id), ct);

        var leftover = HelloApp.PostmasterPid(_apps.Data.Path)!.Value;
        Assert.True(Directory.Exists($"/proc/{leftover}"), "the server must have survived its AppHost and DCP for this test to mean anything");

        var next = await _apps.RunUntilWorkerEndsAsync(HelloApp.LocalMode(_apps.Data.Path), ct);

        Assert.Equal(0, next.Worker.ExitCode);
        Assert.Contains($"Stopped a server that an earlier run left on {_apps.Data.Combine("pgdata")} (process {leftover}", next.PostgresLog);
        Assert.False(Directory.Exists($"/proc/{leftover}"), "the leftover server must be gone");
    }

    /// <summary>
    /// Aspire's orchestrator (DCP's API server) is killed under a running app: the AppHost says so in one line with the
    /// fix, ends its server, exits with its own code within a bound instead of hanging, and the next run says hello on the same
    /// data, which no lock holds any more.
    /// </summary>
    [Fact]
    public async Task AKilledOrchestratorEndsTheAppHostWithItsLineAndItsExitCodeAndTheNextRunSaysHello()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = HelloApp.Timeout(HelloApp.StartTimeout, ct);
        using var appHost = AppHostProcess.Start(HelloApp.LocalMode(_apps.Data.Path));
        var console = new AppHostConsole(appHost);
        int server;
        try
        {
            await console.WaitForWorkerToEndAsync(timeout.Token);
            server = HelloApp.PostmasterPid(_apps.Data.Path)!.Value;
            var orchestrator = Assert.Single(Processes(), p => OrchestratorProcesses.Serves(p.Pid, appHost.Id, apiServerOnly: true));
            using (var kill = Process.Start("kill", ["-KILL", orchestrator.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(ct);
            }

            DeleteKubeconfigFolder(orchestrator.Arguments);
            using var ending = HelloApp.Timeout(s_orchestratorEndTimeout, ct);
            await appHost.WaitForExitAsync(ending.Token);
        }
        finally
        {
            if (!appHost.HasExited)
            {
                appHost.Kill(entireProcessTree: true);
            }
        }

        await console.Reading.WaitAsync(timeout.Token);
        var ended = AppHostProcess.Entries(console.Lines).Where(line => line.Contains("[802]", StringComparison.Ordinal)).ToList();
        Assert.True(appHost.ExitCode == OrchestratorWatch.ExitCode && ended is [var line] && line.StartsWith("fail:", StringComparison.Ordinal)
            && line.Contains("Aspire's orchestrator (DCP", StringComparison.Ordinal) && line.Contains("the data is safe", StringComparison.Ordinal)
            && line.Contains("Fix: run the AppHost again", StringComparison.Ordinal),
            $"Expected exit code {OrchestratorWatch.ExitCode} and one line [802] that says DCP ended, the data is safe, and the fix; exit code {appHost.ExitCode}, console:{Environment.NewLine}{console.Tail(40)}");
        using (var serverEnd = HelloApp.Timeout(HelloApp.ServerExitTimeout, ct))
        {
            // The AppHost stopped it; a zombie not yet reaped by its parent counts as ended.
            while (HelloAspire.Hosting.LocalPostgres.Unix.ServerProcesses.IsPostgresRunning(server))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), serverEnd.Token);
            }
        }


        var next = await _apps.RunUntilWorkerEndsAsync(HelloApp.LocalMode(_apps.Data.Path), ct);

        Assert.Equal(0, next.Worker.ExitCode);
        Assert.Contains("Using the kept data", next.PostgresLog);
    }

    /// <summary>Runs the AppHost as its own process until its worker has ended, kills it with <paramref name="kill"/>, and waits until it is gone.</summary>
    private async Task RunUntilTheWorkerEndsThenKillAsync(Action<Process> kill, CancellationToken cancellationToken)
    {
        using var timeout = HelloApp.Timeout(HelloApp.StartTimeout, cancellationToken);
        using var appHost = AppHostProcess.Start(HelloApp.LocalMode(_apps.Data.Path));
        var console = new AppHostConsole(appHost);
        try
        {
            await console.WaitForWorkerToEndAsync(timeout.Token);
        }
        finally
        {
            kill(appHost);
        }

        // Until the kernel has ended it, a killed AppHost still holds the data's lock.
        await appHost.WaitForExitAsync(timeout.Token);
    }

    /// <summary>
    /// SIGKILL, all at once, to a process and everything below it except PostgreSQL's processes. DCP detaches from its
    /// AppHost (its parent becomes init) and watches it instead (<c>dcp start-apiserver --monitor &lt;pid&gt;</c>), so it
    /// and its own tree are found by that argument: left alive, it would stop the server itself a moment later.
    /// </summary>
    private static void KillTreeExceptPostgres(int root)
    {
        var processes = Processes();
        var tree = new List<int> { root };
        var orchestrators = processes.Where(p => OrchestratorProcesses.Serves(p.Pid, root)).ToList();
        tree.AddRange(orchestrators.Select(p => p.Pid));
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(processes.Where(p => p.Parent == tree[i] && p.Comm != "postgres").Select(p => p.Pid));
        }

        using var kill = Process.Start("kill", ["-KILL", .. tree.Select(pid => pid.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        kill.WaitForExit();
        Assert.True(orchestrators.Count > 0, $"no DCP process monitored the AppHost (process {root}), so this test could not kill the orchestrator");
        foreach (var orchestrator in orchestrators)
        {
            DeleteKubeconfigFolder(orchestrator.Arguments);
        }
    }

    /// <summary>Every process: its id, name, parent and arguments.</summary>
    private static List<(int Pid, string Comm, int Parent, string[] Arguments)> Processes() =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Select(pid => (Pid: pid, Stat: ReadOrEmpty($"/proc/{pid}/stat"), Arguments: OrchestratorProcesses.ArgumentsOf(pid)))
            .Where(p => p.Stat.Length > 0)
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its closing parenthesis.
            .Select(p => (p.Pid, Comm: p.Stat[(p.Stat.IndexOf('(', StringComparison.Ordinal) + 1)..p.Stat.LastIndexOf(')')],
                Parent: int.Parse(p.Stat[(p.Stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture),
                p.Arguments))];

    /// <summary>A killed DCP leaves its temporary folder (its kubeconfig's) behind.</summary>
    private static void DeleteKubeconfigFolder(string[] arguments)
    {
        if (arguments.SkipWhile(a => a != "--kubeconfig").Skip(1).FirstOrDefault() is { } kubeconfig && Directory.Exists(Path.GetDirectoryName(kubeconfig)))
        {
            Directory.Delete(Path.GetDirectoryName(kubeconfig)!, recursive: true);
        }
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ""; // the process ended while the list was read
        }
    }

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

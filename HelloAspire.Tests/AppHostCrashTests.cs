using System.Diagnostics;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The AppHost itself is killed: its server does not outlive it, and the next run starts cleanly on the same data.</summary>
public sealed class AppHostCrashTests : IAsyncDisposable
{
    private static readonly TimeSpan s_orphanTimeout = TimeSpan.FromSeconds(30);

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
        var processes = Directory.EnumerateDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Select(pid => (Pid: pid, Stat: ReadOrEmpty($"/proc/{pid}/stat"), Arguments: ReadOrEmpty($"/proc/{pid}/cmdline").Split('\0')))
            .Where(p => p.Stat.Length > 0)
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its closing parenthesis.
            .Select(p => (p.Pid, Comm: p.Stat[(p.Stat.IndexOf('(', StringComparison.Ordinal) + 1)..p.Stat.LastIndexOf(')')],
                Parent: int.Parse(p.Stat[(p.Stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture),
                p.Arguments))
            .ToList();
        var rootText = root.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var tree = new List<int> { root };
        var orchestrators = processes.Where(p => p.Comm == "dcp" && p.Arguments.Zip(p.Arguments.Skip(1)).Contains(("--monitor", rootText))).ToList();
        tree.AddRange(orchestrators.Select(p => p.Pid));
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(processes.Where(p => p.Parent == tree[i] && p.Comm != "postgres").Select(p => p.Pid));
        }

        using var kill = Process.Start("kill", ["-KILL", .. tree.Select(pid => pid.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        kill.WaitForExit();
        Assert.True(orchestrators.Count > 0, $"no DCP process monitored the AppHost (process {root}), so this test could not kill the orchestrator");

        // A killed DCP leaves its temporary folder (its kubeconfig's) behind.
        foreach (var kubeconfig in orchestrators.Select(p => p.Arguments.SkipWhile(a => a != "--kubeconfig").Skip(1).FirstOrDefault()).OfType<string>())
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

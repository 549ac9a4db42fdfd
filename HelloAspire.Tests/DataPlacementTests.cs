using System.Net;
using System.Net.Sockets;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>Where the data and the server live, wrong: a taken port, data the server may not use. Each fails at once and touches nothing.</summary>
public sealed class DataPlacementTests : IAsyncDisposable
{
    private const string Password = "the-password-the-data-was-made-with";
    private readonly TestApps _apps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Args(string password = Password, params string[] more) => HelloApp.LocalModeWithPassword(_apps.Data.Path, password, more);

    [Fact]
    public async Task ATakenPortFailsWithThePortAndTheSettingToChange()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var run = await _apps.RunUntilWorkerEndsAsync(Args(Password, $"--Postgres:Port={port}"), Ct);

        Assert.Equal(KnownResourceStates.FailedToStart, run.Worker.State?.Text);
        Assert.Contains($"Port {port} on 127.0.0.1 is taken", run.PostgresLog);
        Assert.Contains("set Postgres:Port to a free port", run.PostgresLog);
    }

    [Fact]
    public async Task DataThatTheServerCannotUseIsRefusedAndLeftAsItIs()
    {
        Assert.Equal(0, (await _apps.RunUntilWorkerEndsAsync(Args(), Ct)).Worker.ExitCode);
        var pgData = _apps.Data.Combine("pgdata");

        // As root (CI): data owned by another user. As a user: data this user may not read.
        var asRoot = Environment.IsPrivilegedProcess;
        var (tool, change) = asRoot ? ("chown", new[] { "-R", "4242", pgData }) : ("chmod", new[] { "000", pgData });
        await RunAsync(tool, change);
        var refused = await _apps.RunUntilWorkerEndsAsync(Args(), Ct);
        var stillThere = asRoot ? File.Exists(Path.Combine(pgData, "PG_VERSION")) : Directory.Exists(pgData);
        await RunAsync(asRoot ? "chown" : "chmod", asRoot ? ["-R", "postgres", pgData] : ["700", pgData]);

        Assert.Equal(KnownResourceStates.FailedToStart, refused.Worker.State?.Text);
        Assert.Contains(asRoot ? "belongs to user id 4242" : "Could not prepare the data directory", refused.PostgresLog);
        Assert.Contains(asRoot ? "Nothing was changed" : "Nothing was deleted", refused.PostgresLog);
        Assert.True(stillThere, "the data must be left as it was");
    }

    /// <summary>Where the app's PGDATA should be, files that are not a cluster: refused in one line, and left as they are.</summary>
    [Fact]
    public async Task FilesThatAreNotAClusterWhereTheDataShouldBeAreRefusedAndLeftAsTheyAre()
    {
        Assert.Equal(0, (await _apps.RunUntilWorkerEndsAsync(Args(), Ct)).Worker.ExitCode);
        File.Delete(_apps.Data.Combine("pgdata", "PG_VERSION")); // what makes it a cluster, gone: a copy gone wrong
        var before = await DirectorySnapshot.OfAsync(_apps.Data.Combine("pgdata"), Ct);

        var refused = await _apps.RunUntilWorkerEndsAsync(Args(), Ct);

        Assert.Equal(KnownResourceStates.FailedToStart, refused.Worker.State?.Text);
        Assert.Contains($"'{_apps.Data.Combine("pgdata")}' holds files that are not a PostgreSQL data directory, so the app will not touch them.", refused.PostgresLog);
        Assert.Equal(before, await DirectorySnapshot.OfAsync(_apps.Data.Combine("pgdata"), Ct));
    }

    /// <summary>
    /// The disk fills while the first start makes the data (a small tmpfs): one line with the fix, the half-made data is
    /// removed (its space is free again), and once there is room the next start begins again and says hello.
    /// </summary>
    [Fact]
    public async Task ADiskThatFillsDuringTheFirstStartLeavesNoHalfMadeDataAndTheNextStartBeginsAgain()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "Only root can mount the small disk this test fills; it runs as root (./test.sh, CI).");
        var data = _apps.Data.Path;
        await RunAsync("mount", ["-t", "tmpfs", "-o", $"size={SmallDiskSize},mode=0755", "tmpfs", data]);
        try
        {
            var full = await _apps.RunUntilWorkerEndsAsync(Args(), Ct);
            var usedAfterFailure = new DriveInfo(data).TotalSize - new DriveInfo(data).AvailableFreeSpace;
            var pgDataLeft = Directory.Exists(_apps.Data.Combine("pgdata"));
            await RunAsync("mount", ["-o", $"remount,size={RoomyDiskSize}", data]);
            var next = await _apps.RunUntilWorkerEndsAsync(Args(), Ct);

            Assert.Equal(KnownResourceStates.FailedToStart, full.Worker.State?.Text);
            Assert.Contains($"The disk of '{data}' is full: making the new data stopped (", full.PostgresLog);
            Assert.Contains($"The unfinished data was removed. Fix: free space there (df -h '{data}'), or set Postgres:DataDirectory to a disk with room", full.PostgresLog);
            Assert.False(pgDataLeft, "the half-made data must be removed");
            Assert.True(usedAfterFailure < MaxUsedAfterFailure, $"{usedAfterFailure} bytes stay used on the small disk after the failure");
            Assert.Equal(0, next.Worker.ExitCode);
            Assert.Contains("did not finish; initializing it again", next.PostgresLog);
        }
        finally
        {
            // Not cancelled by the test's end: the mount must go whatever happened. Lazy: a process that still has a
            // file open there (a backend ending) must not keep the test's mount.
            await StopServerAsync(data);
            using var umount = System.Diagnostics.Process.Start("umount", ["--lazy", data]);
            await umount.WaitForExitAsync(CancellationToken.None);
        }
    }

    // Smaller than a new cluster, so that making one fails; roomy enough for one; what the app's own files may keep.
    private const string SmallDiskSize = "12m";
    private const string RoomyDiskSize = "256m";
    private const long MaxUsedAfterFailure = 1024 * 1024;

    /// <summary>A server the run left (none, when the app stopped it) would hold the mount.</summary>
    private static async Task StopServerAsync(string data)
    {
        if (HelloApp.PostmasterPid(data) is { } pid && Directory.Exists($"/proc/{pid}"))
        {
            using var server = System.Diagnostics.Process.GetProcessById(pid);
            server.Kill();
            using var bounded = new CancellationTokenSource(HelloApp.ServerExitTimeout);
            await server.WaitForExitAsync(bounded.Token);
        }
    }

    private static async Task RunAsync(string tool, string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(tool, arguments);
        await process.WaitForExitAsync(Ct);
        Assert.Equal(0, process.ExitCode);
    }

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

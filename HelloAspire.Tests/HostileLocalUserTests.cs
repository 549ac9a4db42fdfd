using System.Diagnostics;
using System.Net;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// Local mode against another local user who wants the password, root, or the user's own files: a folder that is not
/// the app's, links planted where the server account may write, the AppHost's environment, a listener squatting the
/// IPv6 loopback, the user's own PG* variables. Each case is one way the app once did harm.
/// </summary>
public sealed class HostileLocalUserTests : IAsyncDisposable
{
    private const string Password = "Hostile-Canary-Password-Must-Not-Leak-7";
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(90);
    private readonly TestApps _apps = new();
    private readonly TemporaryDirectory _elsewhere = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Args(params string[] more) => HelloApp.LocalModeWithPassword(_apps.Data.Path, Password, more);

    /// <summary>A shared folder (mode 1777, someone's file in it) named by mistake: one line, exit code 1, and not a bit of it changed.</summary>
    [Fact]
    public async Task AnExistingFolderWithSomeoneElsesFilesIsRefusedInOneLineAndLeftExactlyAsItWas()
    {
        var shared = _apps.Data.Path;
        await File.WriteAllTextAsync(Path.Combine(shared, "report.txt"), "someone else's", Ct);
        File.SetUnixFileMode(shared, (UnixFileMode)Convert.ToInt32("1777", 8));
        var before = await DirectorySnapshot.OfAsync(shared, Ct);

        var run = await AppHostProcess.RunToEndAsync(Args("--RunOnce=true"), s_runTimeout, Ct);

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: The data directory '{shared}' already holds files the app did not make (report.txt), so the app will not use it. Nothing in it was changed.", line);
        Assert.EndsWith("Fix: set Postgres:DataDirectory to a new or empty directory (the app makes it).", line);
        Assert.Equal(before, await DirectorySnapshot.OfAsync(shared, Ct));
    }

    /// <summary>A link is never followed to a folder the app did not make; a folder of another user's is not taken over.</summary>
    [Fact]
    public async Task ALinkOrAnotherUsersFolderIsRefusedBeforeAnythingStartsAndLeftAsItWas()
    {
        var link = _elsewhere.Combine("link-to-data");
        File.CreateSymbolicLink(link, _apps.Data.Path);
        var before = await DirectorySnapshot.OfAsync(_apps.Data.Path, Ct);

        var throughLink = await Record.ExceptionAsync(async () => await AppModel.CreateAsync(HelloApp.LocalMode(link), Ct));

        Assert.Contains($"The data directory '{link}' is a symbolic link, and the app uses only a real directory of its own. Nothing in it was changed.", throughLink?.Message);
        Assert.Equal(before, await DirectorySnapshot.OfAsync(_apps.Data.Path, Ct));
        if (Environment.IsPrivilegedProcess)
        {
            await RunCheckedAsync("chown", ["4242", _apps.Data.Path]);
            var othersFolder = await Record.ExceptionAsync(async () => await AppModel.CreateAsync(HelloApp.LocalMode(_apps.Data.Path), Ct));
            Assert.Contains($"The data directory '{_apps.Data.Path}' belongs to user id 4242, not to the AppHost's user (id 0), so the app will not use it.", othersFolder?.Message);
            await RunCheckedAsync("chown", ["0", _apps.Data.Path]);
        }
    }

    /// <summary>
    /// As root, the postgres account owns only its data and its socket folder. Links it plants there under the names
    /// the AppHost writes, pointing at a file of root's, change nothing through a kept-data start and a reset; and it
    /// cannot plant any beside the AppHost's own files.
    /// </summary>
    [Fact]
    public async Task AsRootLinksThePostgresAccountPlantsChangeNoFileOfRoots()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "Only a root AppHost hands files to another account; this test runs as root (./test.sh, CI).");
        var app = await _apps.StartAsync(Args(), Ct);
        var first = await app.WaitForWorkerToEndAsync(Ct);
        await _apps.StopAsync(app, Ct);
        Assert.Equal(0, first.ExitCode);

        var canary = _elsewhere.Combine("root-only.conf");
        await File.WriteAllTextAsync(canary, "root's own file", Ct);
        var before = await DirectorySnapshot.OfAsync(_elsewhere.Path, Ct);
        string[] names = ["apphost.json", "apphost.lock", "initializing", "password.verifier", "initdb.pwfile", "local-postgres.marker"];
        var plantedBeside = new List<string>();
        foreach (var name in names)
        {
            foreach (var folder in new[] { _apps.Data.Combine("pgdata"), _apps.Data.Combine("socket") })
            {
                Assert.True(await AsPostgresAsync("ln", "-s", canary, Path.Combine(folder, name)), $"the postgres account could not plant a link in its own '{folder}'");
            }

            if (await AsPostgresAsync("ln", "-s", canary, _apps.Data.Combine(name + ".planted")))
            {
                plantedBeside.Add(name);
            }
        }

        app = await _apps.StartAsync(Args(), Ct);
        var kept = await app.WaitForWorkerToEndAsync(Ct);
        await ServerCommands.ExecuteAsync(app, "postgres", ResetDataCommand.Name, Ct);
        var afterReset = await app.WaitForWorkerToFinishAgainAsync(kept, Ct);
        await _apps.StopAsync(app, Ct);

        Assert.Empty(plantedBeside);
        Assert.Equal(0, kept.ExitCode);
        Assert.Equal(0, afterReset.ExitCode);
        Assert.Equal(before, await DirectorySnapshot.OfAsync(_elsewhere.Path, Ct));
    }

    /// <summary>As root, PostgreSQL binaries in a folder that another user can write are never run as the server account.</summary>
    [Fact]
    public async Task AsRootABinDirectoryOthersCanChangeIsRefused()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "Only a root AppHost hands what it runs to another account; this test runs as root (./test.sh, CI).");
        var bin = _elsewhere.Combine("bin");
        Directory.CreateDirectory(bin);
        var real = PostgresInstallation.Find(null, PostgresInstallation.DefaultCandidates())!;
        foreach (var tool in new[] { "postgres", "initdb", "psql" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, tool), Path.Combine(real.BinDirectory, tool));
        }

        File.SetUnixFileMode(bin, (UnixFileMode)Convert.ToInt32("777", 8));

        var run = await _apps.RunUntilWorkerEndsAsync(Args($"--Postgres:BinDirectory={bin}"), Ct);

        Assert.Equal(KnownResourceStates.FailedToStart, run.Worker.State?.Text);
        Assert.Contains($"The AppHost runs as root, and '{bin}' is writable by other users, so another user could change what runs as 'postgres'. Nothing was started.", run.PostgresLog);
        Assert.False(Directory.Exists(_apps.Data.Combine("pgdata")), "nothing may have run from those binaries");
    }

    /// <summary>Nothing of the AppHost's environment (root's, CI's tokens, the password parameter) reaches the server account.</summary>
    [Fact]
    public async Task TheServerGetsNothingOfTheAppHostsEnvironment()
    {
        using var timeout = HelloApp.Timeout(s_runTimeout, Ct);
        using var appHost = AppHostProcess.Start(Args(), new Dictionary<string, string> { ["HELLOASPIRE_CANARY"] = "a CI token, say" });
        var console = new AppHostConsole(appHost);
        try
        {
            await console.WaitForWorkerToEndAsync(timeout.Token);
            var server = HelloApp.PostmasterPid(_apps.Data.Path)!.Value;
            var environment = (await File.ReadAllTextAsync($"/proc/{server}/environ", Ct)).Split('\0', StringSplitOptions.RemoveEmptyEntries);

            Assert.DoesNotContain(environment, variable => variable.StartsWith("HELLOASPIRE_CANARY=", StringComparison.Ordinal));
            Assert.DoesNotContain(environment, variable => variable.Contains(Password, StringComparison.Ordinal));
            Assert.DoesNotContain(environment, variable => variable.StartsWith("Parameters__", StringComparison.Ordinal) || variable.StartsWith("PG", StringComparison.Ordinal));
        }
        finally
        {
            await AppHostProcess.StopAsync(appHost, console, HelloApp.StartTimeout);
        }
    }

    /// <summary>
    /// Another local user listens on [::1] with the app's port: clients are given 127.0.0.1 itself, so nothing
    /// connects there, and the worker insists on SCRAM, so a listener that asks for the password in clear gets nothing.
    /// </summary>
    [Fact]
    public async Task AListenerOnTheIpv6LoopbackGetsNoConnectionAndNoPassword()
    {
        Assert.SkipUnless(FakePostgresServer.HasIpv6Loopback, "This machine has no IPv6 loopback for another user to listen on.");
        var port = HelloApp.FreeFixedPort();
        await using var squatter = new FakePostgresServer(IPAddress.IPv6Loopback, port);

        var app = await _apps.StartAsync(Args($"--Postgres:Port={port}", "--DcpPublisher:RandomizePorts=false"), Ct);
        var worker = await app.WaitForWorkerToEndAsync(Ct);
        var workerResource = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "worker");
        var given = (IValueProvider)(await AppModel.EnvironmentAsync(workerResource))["ConnectionStrings__hello"];
        var connectionString = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = await given.GetValueAsync(Ct) };

        Assert.Equal(0, worker.ExitCode);
        Assert.Equal("127.0.0.1", connectionString["Host"]);
        Assert.Equal("ScramSHA256", connectionString["Require Auth"]);
        Assert.DoesNotContain(Password, squatter.Received);
        Assert.Equal(0, squatter.Connections);
    }

    /// <summary>The user's own PG* variables (a PGHOSTADDR of another server, say) never send the app's statements elsewhere.</summary>
    [Fact]
    public async Task TheUsersOwnPgVariablesChangeNothing()
    {
        var elsewhere = new Dictionary<string, string>
        {
            ["PGHOSTADDR"] = "192.0.2.1", // TEST-NET-1: nothing answers there
            ["PGHOST"] = "192.0.2.1",
            ["PGPORT"] = "1",
            ["PGUSER"] = "nobody",
            ["PGDATABASE"] = "nowhere",
            ["PGPASSWORD"] = "not-the-password",
            ["PGCONNECT_TIMEOUT"] = "1",
        };

        var run = await AppHostProcess.RunToEndAsync(Args("--RunOnce=true"), s_runTimeout, Ct, elsewhere);

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}: {run.Errors}{string.Join(Environment.NewLine, run.Lines.TakeLast(30))}");
        Assert.Contains(run.Lines, line => line.EndsWith("HelloWorker[101] Hello world", StringComparison.Ordinal));
    }

    private static async Task<bool> AsPostgresAsync(params string[] command)
    {
        var (exitCode, _, _) = await BoundedProcess.RunAsync(
            new ProcessStartInfo("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", .. command]), HelloApp.StartTimeout, Ct);
        return exitCode == 0;
    }

    private static async Task RunCheckedAsync(string tool, string[] arguments)
    {
        var (exitCode, _, errors) = await BoundedProcess.RunAsync(new ProcessStartInfo(tool, arguments), HelloApp.StartTimeout, Ct);
        Assert.True(exitCode == 0, $"{tool} {string.Join(' ', arguments)}: {errors}");
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        _elsewhere.Dispose();
    }
}

using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>Mistakes that would cost data elsewhere: each fails the start at once, says how to fix it, and touches nothing.</summary>
public sealed class DataGuardTests : IAsyncDisposable
{
    private const string Password = "the-password-the-data-was-made-with";
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);
    private readonly TestApps _apps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Args(string password = Password, params string[] more) => HelloApp.LocalModeWithPassword(_apps.Data.Path, password, more);

    [Fact]
    public async Task AChangedPasswordFailsTheStartWithItsThreeFixesAndUseNewPasswordKeepsTheDataWithTheNewPassword()
    {
        // A row of the user's own, written after the seed: what must survive the refused start.
        var app = await _apps.StartAsync(Args(), Ct);
        var first = await app.WaitForWorkerToEndAsync(Ct);
        await ServerCommands.ExecuteSqlAsync((await app.GetConnectionStringAsync("hello", Ct))!, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('written by the user');", Ct);
        await _apps.StopAsync(app, Ct);
        Assert.Equal(0, first.ExitCode);

        const string NewPassword = "a-new-password-0123456789";
        // Aspire's start only ends once the worker, waiting for postgres, is created: here, after the fix.
        (app, var started) = await _apps.BeginStartAsync(Args(NewPassword), Ct);
        var changedStates = await ServerCommands.WaitForRefusedPasswordStatesAsync(app, Ct);
        var changedLog = await app.LogsOfAsync("postgres", Ct);
        // The fix that keeps the data: the server takes the new password, and the waiting worker goes on and says hello.
        await ServerCommands.ExecuteAsync(app, "postgres", UseNewPasswordCommand.Name, Ct);
        await started;
        var afterCommand = await app.WaitForWorkerToEndAsync(Ct);
        var afterCommandLog = await app.LogsOfAsync("worker", Ct);
        await _apps.StopAsync(app, Ct);

        // The same state as container mode's (ContainerKeptVolumeTests): the server and its database failed to start,
        // the worker waits for them.
        Assert.Equal(HelloApp.RefusedPasswordStates, changedStates);
        Assert.Contains($"postgres: the data in '{_apps.Data.Combine("pgdata")}' was made with another password than Parameters:postgres-password holds now " +
            "(PostgreSQL refuses it: 28P01 password authentication failed), so postgres can never become healthy: it was stopped. " +
            "Fix: keep the data and give it this password (the dashboard's Use new password, or 'aspire resource postgres use-new-password'); " +
            "or set Parameters:postgres-password back to the one the data was made with; or reset the data (the dashboard's Reset data, or 'aspire resource postgres reset-data'), which deletes the data.",
            changedLog);
        Assert.DoesNotContain("deleting '", changedLog); // never advice to delete a folder the user named
        Assert.Equal(0, afterCommand.ExitCode);
        Assert.Contains("Hello world", afterCommandLog);

        // The next start with the new password needs nothing, and the user's row is still there.
        app = await _apps.StartAsync(Args(NewPassword), Ct);
        var next = await app.WaitForWorkerToEndAsync(Ct);
        var note = await ServerCommands.ScalarAsync<string>((await app.GetConnectionStringAsync("hello", Ct))!, "SELECT note FROM kept", Ct);
        Assert.Equal(0, next.ExitCode);
        Assert.Equal("written by the user", note);
    }

    /// <summary>
    /// A password changed inside the data (an <c>ALTER ROLE</c> by hand, the tutorial's way) and then in the parameter
    /// is no refusal: the kept verifier is out of date, PostgreSQL accepts the login, and the verifier is written anew.
    /// </summary>
    [Fact]
    public async Task APasswordChangedInsideTheDataAndThenInTheParameterIsTakenAndItsVerifierWrittenAnew()
    {
        const string ChangedByHand = "changed-by-alter-role-0123456789";
        var app = await _apps.StartAsync(Args(), Ct);
        await app.WaitForWorkerToEndAsync(Ct);
        await ServerCommands.ExecuteSqlAsync((await app.GetConnectionStringAsync("hello", Ct))!, $"ALTER ROLE postgres PASSWORD '{ChangedByHand}'", Ct);
        await _apps.StopAsync(app, Ct);
        var verifier = _apps.Data.Combine("password.verifier");
        var before = await File.ReadAllTextAsync(verifier, Ct);

        var run = await _apps.RunUntilWorkerEndsAsync(Args(ChangedByHand), Ct);

        Assert.Equal(0, run.Worker.ExitCode);
        Assert.Contains("Hello world", run.WorkerLog);
        Assert.DoesNotContain("another password", run.PostgresLog);
        Assert.NotEqual(before, await File.ReadAllTextAsync(verifier, Ct));
    }

    /// <summary>
    /// The same under <c>--RunOnce=true</c> (a script, CI), as in container mode (ContainerPasswordTests): the run ends
    /// with exit code 1 and the one line, instead of waiting without end for a server that was stopped.
    /// </summary>
    [Fact]
    public async Task AChangedPasswordEndsARunOnceWithExitCodeOneAndItsLine()
    {
        var first = await AppHostProcess.RunToEndAsync(Args(Password, "--RunOnce=true"), s_runTimeout, Ct);
        var changed = await AppHostProcess.RunToEndAsync(Args("another-password-than-the-datas", "--RunOnce=true"), s_runTimeout, Ct);

        Assert.True(first.ExitCode == 0, $"the first run failed ({first.ExitCode}): {first.Errors}{string.Join(Environment.NewLine, first.Lines.TakeLast(20))}");
        var failure = Assert.Single(AppHostProcess.Entries(changed.Lines), line => line.StartsWith("fail:", StringComparison.Ordinal));
        Assert.Contains($"postgres: the data in '{_apps.Data.Combine("pgdata")}' was made with another password than Parameters:postgres-password holds now", failure);
        Assert.Contains("Fix: keep the data and give it this password (the dashboard's Use new password, or 'aspire resource postgres use-new-password')", failure);
        Assert.Equal(1, changed.ExitCode);
    }

    /// <summary>
    /// What a user sees from a second <c>dotnet run</c> on the same data: it stops before it starts anything, with one
    /// line that names the running one, exit code 1, no stack trace; the first one and its server are left alone.
    /// </summary>
    [Fact]
    public async Task ASecondAppHostProcessOnTheSameDataSaysSoInOneLineAndExitsWithOne()
    {
        // Two AppHosts: the first one's whole run to its worker's end, then the second one's refusal.
        using var timeout = HelloApp.Timeout(s_runTimeout, Ct);
        // The first one's dashboard on a fixed port, as the launch profile's is: the second one's line names it.
        var dashboard = $"http://127.0.0.1:{HelloApp.FreeFixedPort()}";
        using var first = AppHostProcess.Start(Args(), new Dictionary<string, string> { ["ASPNETCORE_URLS"] = dashboard });
        var firstConsole = new AppHostConsole(first);
        try
        {
            await firstConsole.WaitForWorkerToEndAsync(timeout.Token);
            var serverPid = HelloApp.PostmasterPid(_apps.Data.Path)!.Value;

            var (exitCode, _, errors) = await AppHostProcess.RunToEndAsync(Args(), HelloApp.StartTimeout, timeout.Token);

            Assert.Equal(1, exitCode);
            var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error: HelloAspire is already running on the data in '{_apps.Data.Path}' (process {first.Id}, dashboard {dashboard})", line);
            Assert.DoesNotContain("   at ", errors);
            Assert.Contains("nothing was touched", line);
            Assert.Contains("Postgres:DataDirectory", line);
            // The first one's server, untouched: the same process, still running.
            Assert.Equal(serverPid, HelloApp.PostmasterPid(_apps.Data.Path));
            Assert.True(ServerProcesses.IsPostgresRunning(serverPid), $"the first AppHost's server (process {serverPid}) no longer runs");
        }
        finally
        {
            await AppHostProcess.StopAsync(first, firstConsole, HelloApp.StartTimeout);
        }
    }

    /// <summary>
    /// The built AppHost run directly is not in Development, where Aspire reads user secrets, yet Aspire writes the
    /// password it generates there (aspire#7417): the password kept there, which the data was made with, must still be
    /// the one used and stay as it was. A password given on the command line still comes first.
    /// </summary>
    [Fact]
    public async Task OutsideDevelopmentTheKeptPasswordIsUsedAndNeverWrittenOver()
    {
        using var secrets = new UserSecretsStore();
        secrets.Write("Parameters:postgres-password", Password);
        var kept = secrets.Read();
        string[] production = ["--environment=Production", "--Postgres:Mode=local", $"--Postgres:DataDirectory={_apps.Data.Path}", "--NodeClient:Enabled=false", secrets.Argument];

        await using (var builder = await AppModel.CreateAsync(production, Ct))
        {
            Assert.Equal(Microsoft.Extensions.Hosting.Environments.Production, builder.Environment.EnvironmentName);
            Assert.Equal(Password, await PasswordAsync(builder));
        }

        await using (var builder = await AppModel.CreateAsync([.. production, "--Parameters:postgres-password=given-on-the-command-line"], Ct))
        {
            Assert.Equal("given-on-the-command-line", await PasswordAsync(builder));
        }

        Assert.Equal(kept, secrets.Read());
    }

    /// <summary>
    /// A server someone started by hand on the app's data (another socket folder: not one of the app's own) is not
    /// the app's to stop: the start says so in one line, with the fix, and the server keeps running.
    /// </summary>
    [Fact]
    public async Task AServerStartedByHandOnTheDataIsLeftAloneAndTheStartSaysSo()
    {
        Assert.Equal(0, (await _apps.RunUntilWorkerEndsAsync(Args(), Ct)).Worker.ExitCode);
        using var socket = new TemporaryDirectory();
        var installation = PostgresInstallation.Find(null, PostgresInstallation.DefaultCandidates())!;
        var asRoot = Environment.IsPrivilegedProcess;
        if (asRoot)
        {
            await RunAsync("chown", ["postgres", socket.Path]);
        }

        var arguments = new[] { "-D", _apps.Data.Combine("pgdata"), "-c", "listen_addresses=", "-c", $"unix_socket_directories={socket.Path}" };
        using var byHand = System.Diagnostics.Process.Start(asRoot
            ? new System.Diagnostics.ProcessStartInfo("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", installation.Postgres, .. arguments]) { RedirectStandardError = true }
            : new System.Diagnostics.ProcessStartInfo(installation.Postgres, arguments) { RedirectStandardError = true })!;
        _ = byHand.StandardError.ReadToEndAsync(Ct);
        try
        {
            Assert.True(await ServerProcesses.PollUntilAsync(() => HelloApp.PostmasterPid(_apps.Data.Path) == byHand.Id, HelloApp.StartTimeout, Ct), "the server started by hand did not come up");

            var refused = await _apps.RunUntilWorkerEndsAsync(Args(), Ct);

            Assert.Equal(KnownResourceStates.FailedToStart, refused.Worker.State?.Text);
            Assert.Contains($"A postgres server that the app did not start (process {byHand.Id}) runs on '{_apps.Data.Combine("pgdata")}'; it was left alone.", refused.PostgresLog);
            Assert.Contains($"kill -INT {byHand.Id}", refused.PostgresLog);
            Assert.True(ServerProcesses.IsPostgresRunning(byHand.Id), "the server started by hand was stopped");
        }
        finally
        {
            await RunAsync("kill", ["-INT", byHand.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await byHand.WaitForExitAsync(Ct);
        }
    }

    private static async Task RunAsync(string tool, string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(tool, arguments);
        await process.WaitForExitAsync(Ct);
        Assert.Equal(0, process.ExitCode);
    }

    private static async Task<string?> PasswordAsync(IDistributedApplicationTestingBuilder builder) =>
        await builder.Resource<LocalPostgresServerResource>("postgres").PasswordParameter.GetValueAsync(Ct);

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

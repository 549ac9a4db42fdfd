using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>Mistakes that would cost data elsewhere: each fails the start at once, says how to fix it, and touches nothing.</summary>
public sealed class DataGuardTests : IAsyncDisposable
{
    private const string Password = "the-password-the-data-was-made-with";
    private readonly TestApps _apps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Args(string password = Password, params string[] more) => HelloApp.LocalModeWithPassword(_apps.Data.Path, password, more);

    [Fact]
    public async Task AChangedPasswordFailsTheStartWithBothFixesAndKeepsTheData()
    {
        var first = await _apps.RunUntilWorkerEndsAsync(Args(), Ct);
        Assert.Equal(0, first.Worker.ExitCode);

        var changed = await _apps.RunUntilWorkerEndsAsync(Args("a-new-password-0123456789"), Ct);

        Assert.Equal(KnownResourceStates.FailedToStart, changed.Worker.State?.Text);
        Assert.Contains("was created with another password", changed.PostgresLog);
        Assert.Contains("restore the old value of Parameters:postgres-password", changed.PostgresLog);
        Assert.Contains("or reset the data (the dashboard's Reset data, or 'aspire resource postgres reset-data'), which deletes it.", changed.PostgresLog);
        Assert.DoesNotContain("deleting '", changed.PostgresLog); // never advice to delete a folder the user named

        var restored = await _apps.RunUntilWorkerEndsAsync(Args(), Ct);
        Assert.Equal(0, restored.Worker.ExitCode);
    }

    /// <summary>
    /// What a user sees from a second <c>dotnet run</c> on the same data: it stops before it starts anything, with one
    /// line that names the running one, exit code 1, no stack trace; the first one and its server are left alone.
    /// </summary>
    [Fact]
    public async Task ASecondAppHostProcessOnTheSameDataSaysSoInOneLineAndExitsWithOne()
    {
        using var timeout = HelloApp.Timeout(HelloApp.StartTimeout, Ct);
        using var first = AppHostProcess.Start(Args());
        var firstConsole = new AppHostConsole(first);
        try
        {
            await firstConsole.WaitForWorkerToEndAsync(timeout.Token);
            var serverPid = HelloApp.PostmasterPid(_apps.Data.Path);

            var (exitCode, _, errors) = await AppHostProcess.RunToEndAsync(Args(), HelloApp.StartTimeout, timeout.Token);

            Assert.Equal(1, exitCode);
            var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error: HelloAspire is already running on the data in '{_apps.Data.Path}' (process {first.Id})", line);
            Assert.DoesNotContain("   at ", errors);
            Assert.Contains("nothing was touched", line);
            Assert.Contains("Postgres:DataDirectory", line);
            Assert.Equal(serverPid, HelloApp.PostmasterPid(_apps.Data.Path)); // the first one's server, untouched
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

    private static async Task<string?> PasswordAsync(IDistributedApplicationTestingBuilder builder) =>
        await builder.Resource<AppHost.LocalPostgres.LocalPostgresServerResource>("postgres").PasswordParameter.GetValueAsync(Ct);

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// The worker as it runs when deployed (Hello:AfterRun=Stay, which the AppHost sets when it publishes): a Container
/// App is started again after every exit, so the worker reads until it works and then stays up until it is stopped.
/// (Saying hello, then staying up, is tested against a seeded server in <see cref="SeedStepTests"/>.)
/// </summary>
public sealed class DeployedWorkerTests
{
    private const string Password = "deployed-worker-test-password-01";
    private static readonly TimeSpan s_workerTimeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ADeployedWorkerReadsAgainLaterInsteadOfExitingWhenTheDatabaseIsNotThere()
    {
        using var worker = ClientProcess.Start(Deployed(HelloApp.FreePort()));

        await worker.WaitForOutputAsync("Trying again in 0.2 s: reading the hello row", s_workerTimeout, Ct);
        await worker.WaitForOutputAsync("The database is not reachable yet", s_workerTimeout, Ct);
        var stillUp = !worker.HasExited;
        worker.Terminate();
        var (exitCode, output, _) = await worker.WaitForExitAsync(s_workerTimeout, Ct);

        Assert.True(stillUp, "a failing deployed worker must not exit into a restart loop");
        Assert.Contains("Could not reach database 'hello'", output);
        Assert.Equal(0, exitCode);
    }

    /// <summary>
    /// A setting it cannot use (here a connection string that is not one) is said once, in one line, and the deployed
    /// worker stays up instead of exiting into a restart loop that would say it again and again.
    /// </summary>
    [Fact]
    public async Task ADeployedWorkerWithASettingItCannotUseSaysSoOnceAndStaysUp()
    {
        var environment = Deployed(HelloApp.FreePort());
        environment["ConnectionStrings__hello"] = "Host=db.example;Password=\"unterminated;Port=5432";
        using var worker = ClientProcess.Start(environment);

        await worker.WaitForErrorAsync("Staying up without reading until stopped", s_workerTimeout, Ct);
        await Task.Delay(TimeSpan.FromSeconds(1), Ct); // five retry intervals: still one line, still up
        var stillUp = !worker.HasExited;
        worker.Terminate();
        var (_, _, errors) = await worker.WaitForExitAsync(s_workerTimeout, Ct);

        Assert.True(stillUp, "a deployed worker with a bad setting must not exit into a restart loop");
        Assert.Single(errors.Split('\n'), line => line.StartsWith("HelloAspire.Worker cannot start: ConnectionStrings:hello is not a PostgreSQL connection string", StringComparison.Ordinal));
        Assert.DoesNotContain("unterminated", errors);
    }

    /// <summary>The environment of a deployed worker (what the AppHost's manifest gives it) against 127.0.0.1:<paramref name="port"/>.</summary>
    public static Dictionary<string, string?> Deployed(int port, string password = Password) => new()
    {
        ["ConnectionStrings__hello"] = $"Host=127.0.0.1;Port={port};Username=postgres;Password={password};Database=hello",
        ["Hello__AfterRun"] = "Stay",
        ["Hello__ConnectRetryBudget"] = "00:00:01",
        ["Hello__RetryInterval"] = "00:00:00.2",
    };

}

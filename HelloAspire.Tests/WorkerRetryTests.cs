using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The database is not there yet when the worker starts (existing-server mode): it retries, within a budget.</summary>
public sealed class WorkerRetryTests : IAsyncDisposable
{
    private const string Password = "retry-test-password-0123456789";
    private static readonly TimeSpan s_workerTimeout = TimeSpan.FromSeconds(90);

    private readonly TestApps _apps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WorkerRetriesUntilAServerThatStartsLaterAnswers()
    {
        var port = HelloApp.FreePort();
        using var worker = ClientProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__hello"] = $"Host=127.0.0.1;Port={port};Username=postgres;Password={Password};Database=hello",
            ["Hello__ConnectRetryBudget"] = "00:01:00",
        });

        // The server comes up only once the worker has failed to reach it, on the port it keeps knocking on.
        await worker.WaitForOutputAsync("The database is not reachable yet", s_workerTimeout, Ct);
        // The testing builder randomizes proxied ports unless told not to.
        var app = await _apps.StartAsync(
            HelloApp.LocalModeWithPassword(_apps.Data.Path, Password, $"--Postgres:Port={port}", "--DcpPublisher:RandomizePorts=false"), Ct);
        var (exitCode, output, _) = await worker.WaitForExitAsync(s_workerTimeout, Ct);
        // The app's own worker too: stopped while it was starting, it outlived the stop by about 6 s in a third of the runs.
        await app.WaitForWorkerToEndAsync(Ct);
        await _apps.StopAsync(app, Ct);

        Assert.True(exitCode == 0, output);
        Assert.Contains("The database is not reachable yet", output);
        Assert.Contains("Hello world", output);
    }

    [Fact]
    public async Task WorkerGivesUpAfterItsBudgetWithTheLastError()
    {
        using var worker = ClientProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__hello"] = $"Host=127.0.0.1;Port={HelloApp.FreePort()};Username=postgres;Password={Password};Database=hello",
            ["Hello__ConnectRetryBudget"] = "00:00:02",
        });

        var (exitCode, output, _) = await worker.WaitForExitAsync(s_workerTimeout, Ct);

        Assert.Equal(3, exitCode);
        Assert.Contains("within the 2 s retry budget (Hello:ConnectRetryBudget): Failed to connect to 127.0.0.1:", output);
    }

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

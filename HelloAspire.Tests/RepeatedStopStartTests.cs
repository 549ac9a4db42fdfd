using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The server's stop and start, over and over: the suite's longest test, so it starts first.</summary>
[Collection(StartedFirst.Name)]
public sealed class RepeatedStopStartTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// What a user does from the dashboard or with <c>aspire resource postgres stop|start</c>, back to back, with a
    /// client connected at each stop (the worker, the Node.js client, a psql): DCP gives every start of the server the
    /// same port, so each new server takes over the socket path of the one before. Each stop must be a fast shutdown
    /// (sessions ended, a checkpoint written), never DCP's SIGTERM "smart" shutdown that waits for the client until
    /// DCP kills the server.
    /// </summary>
    [Fact]
    public async Task StoppingAndStartingTheServerFiftyTimesBackToBackAlwaysComesBackHealthy()
    {
        const int rounds = 50;
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), Ct);
        var log = ResourceLogRecorder.Start(app, "postgres", Ct);
        await app.WaitForWorkerToEndAsync(Ct);
        var connectionString = await app.GetConnectionStringAsync("hello", Ct);

        for (var round = 1; round <= rounds; round++)
        {
            await using (await ServerCommands.OpenAsync(connectionString!, Ct))
            {
                await ServerCommands.ExecuteAsync(app, "postgres", KnownResourceCommands.StopCommand, Ct);
            }

            var stopped = await ServerCommands.WaitForTerminalStateAsync(app, "postgres", Ct);
            Assert.False(log.Contains("unexpected postmaster exit"), $"Round {round} of {rounds}: the server was killed, not shut down. Its log:{Environment.NewLine}{log.Tail(40)}");
            await ServerCommands.ExecuteAsync(app, "postgres", KnownResourceCommands.StartCommand, Ct);
            var started = await ServerCommands.WaitForHealthyOrEndedAsync(app, "postgres", stopped, Ct);
            Assert.True(started.State?.Text == KnownResourceStates.Running,
                $"Round {round} of {rounds}: postgres is {started.State?.Text} (exit code {started.ExitCode}), not healthy. Its log:{Environment.NewLine}{log.Tail(80)}");
        }

        var hello = await ServerCommands.ScalarAsync<string>(connectionString!, "SELECT message FROM hello WHERE id = 1", Ct);
        Assert.Equal("Hello world", hello);
        // Every stop ended the connected client's session instead of waiting for it (SIGTERM alone waits, then DCP
        // kills the server), and so no start ever needed crash recovery.
        Assert.True(log.Count("received fast shutdown request") >= rounds, log.Tail(40));
        Assert.False(log.Contains("automatic recovery in progress"), log.Tail(40));
    }

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

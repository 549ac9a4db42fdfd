using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The local server's reset-data command: the data as on a first start, and only the app's own data.</summary>
public sealed class ResetDataTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ResettingTheDataSeedsItAgainAsOnAFirstStartAndTheWorkerSaysHelloAgain()
    {
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), Ct);
        var first = await app.WaitForWorkerToEndAsync(Ct);
        // A file the user put beside the data, once the app had made its folder.
        var foreign = _apps.Data.Combine("notes.txt");
        await File.WriteAllTextAsync(foreign, "the user's own file beside the data", Ct);
        var connectionString = (await app.GetConnectionStringAsync("hello", Ct))!;
        await ServerCommands.ExecuteSqlAsync(connectionString, "UPDATE hello SET message = 'changed'; CREATE TABLE extra (id integer);", Ct);

        using var timeout = HelloApp.Timeout(ServerCommands.CommandTimeout, Ct);
        var reset = await app.ResourceCommands.ExecuteCommandAsync("postgres", ResetDataCommand.Name, timeout.Token);
        Assert.True(reset.Success, reset.Message); // before the wait for the worker, which a failed reset never starts again
        var again = await app.ResourceNotifications.WaitForResourceAsync("worker",
            e => e.Snapshot.State?.Text == KnownResourceStates.Finished && e.Snapshot.StartTimeStamp > first.StartTimeStamp, timeout.Token);
        var workerLog = await app.LogsOfAsync("worker", Ct);
        var postgresLog = await app.LogsOfAsync("postgres", Ct);
        var message = await ServerCommands.ScalarAsync<string>(connectionString, "SELECT message FROM hello WHERE id = 1", Ct);
        var extraTables = await ServerCommands.ScalarAsync<long>(connectionString, "SELECT count(*) FROM pg_tables WHERE tablename = 'extra'", Ct);

        Assert.Equal(0, again.Snapshot.ExitCode);
        Assert.Contains("Hello world", workerLog);
        Assert.Contains("Seed: applied 01-hello.sql.", postgresLog);
        Assert.Equal("Hello world", message);
        Assert.Equal(0L, extraTables);
        Assert.Equal("the user's own file beside the data", await File.ReadAllTextAsync(foreign, Ct));
    }

    /// <summary>
    /// A client still running while the data is thrown away would see it go from under it: the reset stops the
    /// clients that run, and starts them again once the server is healthy again.
    /// </summary>
    [Fact]
    public async Task AResetStopsTheClientsThatStillRunAndStartsThemAgainAfter()
    {
        // A client that stays connected to the database's life: it runs until stopped.
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), Ct, builder =>
        {
            var hello = builder.CreateResourceBuilder(builder.Resources.OfType<IResourceWithConnectionString>().Single(r => r.Name == "hello"));
            builder.AddExecutable("long-client", "sleep", _apps.Data.Path, "600").WaitFor(hello);
        });
        await app.WaitForWorkerToEndAsync(Ct);
        using var timeout = HelloApp.Timeout(ServerCommands.CommandTimeout, Ct);
        var running = await app.ResourceNotifications.WaitForResourceAsync("long-client", e => e.Snapshot.State?.Text == KnownResourceStates.Running, timeout.Token);
        var stoppedDuringTheReset = app.ResourceNotifications.WaitForResourceAsync("long-client",
            e => e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), timeout.Token);

        await ServerCommands.ExecuteAsync(app, "postgres", ResetDataCommand.Name, Ct);
        var stopped = await stoppedDuringTheReset;
        var again = await app.ResourceNotifications.WaitForResourceAsync("long-client",
            e => e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.StartTimeStamp > running.Snapshot.StartTimeStamp, timeout.Token);

        Assert.NotNull(stopped.Snapshot.StopTimeStamp);
        Assert.True(again.Snapshot.StartTimeStamp > stopped.Snapshot.StopTimeStamp, "the client was started again only after it had been stopped");
    }

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// The life of a kept volume, as a user with Podman or Docker lives it: the first run seeds it; the next reuses it with
/// the password Aspire generated and kept, and applies a seed script added since (which the image's
/// /docker-entrypoint-initdb.d never does on kept data); when its container is killed, the dashboard's start command
/// brings it back with every row; a run with another password says so in one line (Aspire alone would wait without end and
/// without a word, microsoft/aspire#5399) and fails the server's start as local mode does; the dashboard's Use new
/// password, which the line names first, gives the volume the new password and the waiting worker its hello with every
/// row kept; Reset data then starts it afresh.
/// One app run per step, on one volume: container runs are the suite's dearest. (Both clients on a first start:
/// <see cref="ContainerThrowawayDataTests"/>.)
/// </summary>
[Collection(ContainerRuns.Name)]
public sealed class ContainerKeptVolumeTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly ContainerApp _container = new();
    private readonly TemporaryDirectory _seed = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AVolumeIsSeededOnceGetsAScriptAddedLaterKeepsItsRowsWhenKilledAndTakesAChangedPasswordWithItsRowsOrIsReset()
    {
        await _container.RequireWithVolumeInRamAsync(Ct);
        File.Copy(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "..", "seed", "01-hello.sql"), _seed.Combine("01-hello.sql"));
        var seed = $"--Postgres:SeedDirectory={_seed.Path}";

        // No password given: Aspire generates one and keeps it in this test's user secrets, as it does for a user.
        var first = await _apps.RunUntilWorkerEndsAsync(_container.Args(seed), Ct);

        // Day two: a new table, in a script added after the volume was made.
        await File.WriteAllTextAsync(_seed.Combine("02-add-greeting.sql"), "CREATE TABLE greeting (id integer PRIMARY KEY, text text NOT NULL); INSERT INTO greeting VALUES (1, 'added on day two');", Ct);
        var app = await _apps.StartAsync(_container.Args(seed), Ct);
        var second = await app.WaitForWorkerToEndAsync(Ct);
        var secondWorkerLog = await app.LogsOfAsync("worker", Ct);
        var connectionString = await app.GetConnectionStringAsync("hello", Ct);
        var greeting = await ServerCommands.ScalarAsync<string>(connectionString!, "SELECT text FROM greeting WHERE id = 1", Ct);
        await ServerCommands.ExecuteSqlAsync(connectionString!, "CREATE TABLE kept (id integer PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, 10);", Ct);
        await Containers.RunCheckedAsync(["kill", _container.ContainerOf(app)], Ct);
        await ServerCommands.WaitForTerminalStateAsync(app, "postgres", Ct);
        await ServerCommands.StartAndWaitHealthyAsync(app, "postgres", Ct);
        // The container is new, and so may be its host port: the connection string is asked for again.
        connectionString = await app.GetConnectionStringAsync("hello", Ct);
        var keptRows = await ServerCommands.ScalarAsync<long>(connectionString!, "SELECT count(*) FROM kept", Ct);
        await ServerCommands.ExecuteAsync(app, "worker", KnownResourceCommands.StartCommand, Ct);
        var restarted = await app.WaitForWorkerToFinishAgainAsync(second, Ct);
        var restartedWorkerLog = await app.LogsOfAsync("worker", Ct);
        var secondPostgresLog = await app.SettledLogsOfAsync("postgres", "Skipping initialization", Ct);
        await _apps.StopAsync(app, Ct);

        // Aspire's start only ends once the worker, waiting for postgres, is created: here, after the reset.
        var (refusedApp, started) = await _apps.BeginStartAsync(_container.Args(seed, "--Parameters:postgres-password=another-password-than-the-volumes"), Ct);
        var refusedStates = await ServerCommands.WaitForRefusedPasswordStatesAsync(refusedApp, Ct);
        var refusal = await refusedApp.LogsOfAsync("postgres", Ct);
        // The fix that keeps the data: the volume takes the new password, and the waiting worker goes on.
        await ServerCommands.ExecuteAsync(refusedApp, "postgres", UseNewPasswordCommand.Name, Ct);
        await started;
        var afterNewPassword = await refusedApp.WaitForWorkerToEndAsync(Ct);
        var afterNewPasswordLog = await refusedApp.LogsOfAsync("worker", Ct);
        var keptWithNewPassword = await ServerCommands.ScalarAsync<long>((await refusedApp.GetConnectionStringAsync("hello", Ct))!, "SELECT count(*) FROM kept", Ct);
        // The fix that does not: Reset data empties the volume, seeds it again, and the worker says hello again.
        await ServerCommands.ExecuteAsync(refusedApp, "postgres", ResetDataCommand.Name, Ct);
        var afterReset = await refusedApp.WaitForWorkerToFinishAgainAsync(afterNewPassword, Ct);
        var afterResetLog = await refusedApp.LogsOfAsync("worker", Ct);
        var keptTablesAfterReset = await ServerCommands.ScalarAsync<long>((await refusedApp.GetConnectionStringAsync("hello", Ct))!, "SELECT count(*) FROM pg_tables WHERE tablename = 'kept'", Ct);
        await _apps.StopAsync(refusedApp, Ct);

        Assert.Equal(0, first.Worker.ExitCode);
        Assert.Contains("Seed: applied 01-hello.sql.", first.PostgresLog);
        Assert.Contains("Hello world", first.WorkerLog);

        Assert.Equal(0, second.ExitCode);
        Assert.Contains("Hello world", secondWorkerLog);
        Assert.Contains("Skipping initialization", secondPostgresLog);
        Assert.Contains("Seed: 01-hello.sql was applied before; nothing to do.", secondPostgresLog);
        Assert.Contains("Seed: applied 02-add-greeting.sql.", secondPostgresLog);
        Assert.Equal("added on day two", greeting);
        Assert.Equal(10, keptRows);
        Assert.Equal(0, restarted.ExitCode);
        Assert.Contains("Hello world", restartedWorkerLog);

        // The same state as local mode's (DataGuardTests): the server and its database failed to start, the worker waits for them.
        Assert.Equal(HelloApp.RefusedPasswordStates, refusedStates);
        Assert.Contains(
            $"postgres: the data in the volume '{_container.Volume}' was made with another password than Parameters:postgres-password holds now " +
            "(PostgreSQL refuses it: 28P01 password authentication failed), so postgres can never become healthy: it was stopped. " +
            "Fix: keep the data and give it this password (the dashboard's Use new password, or 'aspire resource postgres use-new-password'); or set Parameters:postgres-password back " +
            "to the one the data was made with; or reset the data (the dashboard's Reset data, or 'aspire resource postgres reset-data'), which deletes the data.",
            refusal);
        Assert.Equal(0, afterNewPassword.ExitCode);
        Assert.Contains("Hello world", afterNewPasswordLog);
        Assert.Equal(10, keptWithNewPassword);
        Assert.Equal(0, afterReset.ExitCode);
        Assert.Contains("Hello world", afterResetLog);
        Assert.Equal(0, keptTablesAfterReset);
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        await _container.DisposeAsync();
        _seed.Dispose();
    }
}

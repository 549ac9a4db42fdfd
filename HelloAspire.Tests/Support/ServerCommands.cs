using Npgsql;

namespace HelloAspire.Tests.Support;

/// <summary>The dashboard's resource commands as a test drives them, each wait bounded by <see cref="CommandTimeout"/>.</summary>
public static class ServerCommands
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    public static async Task ExecuteAsync(DistributedApplication app, string resource, string command, CancellationToken cancellationToken)
    {
        using var timeout = HelloApp.Timeout(CommandTimeout, cancellationToken);
        var result = await app.ResourceCommands.ExecuteCommandAsync(resource, command, timeout.Token);
        Assert.True(result.Success, $"{command} {resource}: {result.Message}");
    }

    /// <summary>
    /// Starts the stopped resource and waits until it is healthy; a start that fails says why, with the end of the
    /// resource's log. The start command returns before the resource's state has moved on, so the stopped state it
    /// leaves behind is not taken for this start's end (<see cref="WaitForHealthyOrEndedAsync"/>).
    /// </summary>
    public static async Task StartAndWaitHealthyAsync(DistributedApplication app, string resource, CancellationToken cancellationToken)
    {
        Assert.True(app.ResourceNotifications.TryGetCurrentState(resource, out var before), $"{resource} has no state to start from.");
        await ExecuteAsync(app, resource, KnownResourceCommands.StartCommand, cancellationToken);
        var started = await WaitForHealthyOrEndedAsync(app, resource, before.Snapshot, cancellationToken);
        if (started.State?.Text != KnownResourceStates.Running)
        {
            var log = (await app.LogsOfAsync(resource, cancellationToken)).Split(Environment.NewLine);
            throw new InvalidOperationException(
                $"{resource} did not become healthy after its start. State: {started.State?.Text}, exit code {started.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}. " +
                $"The end of its log:{Environment.NewLine}{string.Join(Environment.NewLine, log.TakeLast(30))}");
        }
    }

    /// <summary>
    /// Healthy, or ended again after <paramref name="stopped"/>: a start that fails is reported at once, with the
    /// snapshot that says how, instead of at the health wait's timeout.
    /// </summary>
    public static async Task<CustomResourceSnapshot> WaitForHealthyOrEndedAsync(DistributedApplication app, string resource, CustomResourceSnapshot stopped, CancellationToken cancellationToken)
    {
        using var timeout = HelloApp.Timeout(CommandTimeout, cancellationToken);
        try
        {
            var update = await app.ResourceNotifications.WaitForResourceAsync(resource, HelloAspire.Hosting.PostgreSQL.StartOutcome.After(stopped), timeout.Token);
            return update.Snapshot;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && app.ResourceNotifications.TryGetCurrentState(resource, out var current))
        {
            // Neither healthy nor ended in time: the snapshot, with its health reports, says why.
            return current.Snapshot with
            {
                State = $"{current.Snapshot.State?.Text}, {string.Join("; ", current.Snapshot.HealthReports.Select(r => $"{r.Name} {r.Status}: {r.Description} {r.ExceptionText}"))}",
            };
        }
    }

    private static Task<CustomResourceSnapshot> WaitForStateAsync(DistributedApplication app, string resource, string state, CancellationToken cancellationToken) =>
        WaitForAsync(app, resource, snapshot => snapshot.State?.Text == state, cancellationToken);

    public static Task<CustomResourceSnapshot> WaitForTerminalStateAsync(DistributedApplication app, string resource, CancellationToken cancellationToken) =>
        WaitForAsync(app, resource, snapshot => snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), cancellationToken);

    /// <summary>
    /// Waits until kept data's refusal of the password shows on the server and then on its database (published after
    /// it); returns <see cref="HelloApp.StatesOf"/> postgres, hello and the worker at that moment.
    /// </summary>
    public static async Task<string> WaitForRefusedPasswordStatesAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        await WaitForStateAsync(app, "postgres", KnownResourceStates.FailedToStart, cancellationToken);
        await WaitForStateAsync(app, "hello", KnownResourceStates.FailedToStart, cancellationToken);
        return HelloApp.StatesOf(app, "postgres", "hello", "worker");
    }

    private static async Task<CustomResourceSnapshot> WaitForAsync(DistributedApplication app, string resource, Func<CustomResourceSnapshot, bool> until, CancellationToken cancellationToken)
    {
        using var timeout = HelloApp.Timeout(CommandTimeout, cancellationToken);
        var update = await app.ResourceNotifications.WaitForResourceAsync(resource, e => until(e.Snapshot), timeout.Token);
        return update.Snapshot;
    }

    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Runs <paramref name="sql"/> on its own connection (no pool: nothing stays connected to the server).</summary>
    public static async Task ExecuteSqlAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The first column of the first row of <paramref name="sql"/>, on its own connection.</summary>
    public static async Task<T?> ScalarAsync<T>(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T?)await command.ExecuteScalarAsync(cancellationToken);
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HelloAspire.Hosting.PostgreSQL;

/// <summary>
/// What the server's data commands share (<see cref="ResetDataCommand"/>, <see cref="UseNewPasswordCommand"/>): the
/// clients that run are stopped, then the server; a step works on the stopped data; the server starts again, and once it
/// runs, the clients that were stopped start again.
/// </summary>
internal static class StoppedDataCommand
{
    private static readonly TimeSpan s_stepTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Offered on a running, stopped or failed server (where a refused password or a failed seed leaves it); not while a start or a stop is under way.</summary>
    public static ResourceCommandState UpdateState(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.State?.Text is { } state
        && (state == KnownResourceStates.Running || KnownResourceStates.TerminalStates.Contains(state) || state == KnownResourceStates.FailedToStart)
            ? ResourceCommandState.Enabled
            : ResourceCommandState.Disabled;

    public static async Task<ExecuteCommandResult> RunAsync(IResource server, Func<CancellationToken, Task> step, ExecuteCommandContext context, string notDone, string done)
    {
        var commands = context.Services.GetRequiredService<ResourceCommandService>();
        var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
        var model = context.Services.GetRequiredService<DistributedApplicationModel>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(s_stepTimeout);
        var cancellationToken = timeout.Token;

        var clients = ClientsOf(server, model);
        // A client still waiting for the server (one that never became healthy: a refused password, a failed seed) is
        // left waiting: it goes on by itself once the server is healthy again, and a stop or start would collide with that.
        var waiting = clients.Where(c => StateOf(notifications, c) == KnownResourceStates.Waiting).ToList();
        foreach (var client in clients.Where(c => IsRunning(notifications, c)))
        {
            await RunAsync(commands, client, KnownResourceCommands.StopCommand, cancellationToken);
        }

        if (IsRunning(notifications, server))
        {
            await RunAsync(commands, server, KnownResourceCommands.StopCommand, cancellationToken);
            // The stop command returns before the stopped state is published; the start below must not take that state for its own end.
            await notifications.WaitForResourceAsync(server.Name, e => !IsRunning(e.Snapshot.State?.Text), cancellationToken);
        }

        try
        {
            await step(cancellationToken);
        }
        catch (DistributedApplicationException ex)
        {
            return CommandResults.Failure($"{notDone}: {ex.Message}");
        }

        notifications.TryGetCurrentState(server.Name, out var stopped);
        var startedAt = DateTime.UtcNow;
        await RunAsync(commands, server, KnownResourceCommands.StartCommand, cancellationToken);
        var started = await notifications.WaitForResourceAsync(server.Name, StartOutcome.After(stopped?.Snapshot), cancellationToken);
        if (started.Snapshot.State?.Text != KnownResourceStates.Running)
        {
            return CommandResults.Failure($"{done} But the server did not start again ({started.Snapshot.State?.Text}). Fix: see its log, then start it.");
        }

        // Aspire keeps a database's ready event from the server's last start, so a client started now could pass its
        // wait before this start's seed has run (a fresh machine's run saw the worker read a reset volume unseeded). So
        // the clients start once the server's health has been checked since this start and its databases' seed rule has
        // been applied: idempotent, and serialized by its lock with the ready event's own run.
        await notifications.WaitForResourceAsync(server.Name, e => e.Snapshot.HealthStatus == HealthStatus.Healthy
            && e.Snapshot.HealthReports.All(r => r.LastRunAt?.ToUniversalTime() >= startedAt), cancellationToken);
        if (await SeedScriptsExtensions.ApplyToDatabasesOfAsync(server, context.Services, cancellationToken) is { } seedFailure)
        {
            return CommandResults.Failure($"{done} But its seed failed: {seedFailure}");
        }

        foreach (var client in clients.Except(waiting))
        {
            await RunAsync(commands, client, KnownResourceCommands.StartCommand, cancellationToken);
        }

        return CommandResults.Success(done);
    }

    /// <summary>The resources that wait for the server or one of its databases: the ones that use the data.</summary>
    internal static List<IResource> ClientsOf(IResource server, DistributedApplicationModel model) =>
        [.. model.Resources.Where(r => r.Annotations.OfType<WaitAnnotation>()
            .Any(w => ServerAndDatabases.Includes(server, w.Resource)))];

    private static string? StateOf(ResourceNotificationService notifications, IResource resource) =>
        notifications.TryGetCurrentState(resource.Name, out var current) ? current.Snapshot.State?.Text : null;

    private static bool IsRunning(ResourceNotificationService notifications, IResource resource) => IsRunning(StateOf(notifications, resource));

    private static bool IsRunning(string? state) =>
        state is not null
        && state != KnownResourceStates.NotStarted
        && state != KnownResourceStates.Waiting
        && state != KnownResourceStates.FailedToStart
        && !KnownResourceStates.TerminalStates.Contains(state);

    private static async Task RunAsync(ResourceCommandService commands, IResource resource, string command, CancellationToken cancellationToken)
    {
        var result = await commands.ExecuteCommandAsync(resource, command, cancellationToken);
        if (!result.Success)
        {
            throw new DistributedApplicationException($"'{command}' of '{resource.Name}' failed: {result.Message}");
        }
    }
}

using HelloAspire.Hosting.PostgreSQL;

namespace Aspire.Hosting;

/// <summary>
/// The server's <c>reset-data</c> command (a button on the dashboard, <c>aspire resource postgres reset-data</c>):
/// the clients are stopped, the server is stopped, the data is thrown away (local mode: what a first start made in
/// the data directory; container mode: the volume) and the server started again, which initializes and seeds it
/// exactly as on a first start; once it is healthy the clients start again. Existing servers have no such command.
/// </summary>
public static class ResetDataCommand
{
    public const string Name = "reset-data";

    private static readonly TimeSpan s_stepTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Offers the command on <paramref name="builder"/>'s server (with a confirmation on the dashboard that names
    /// <paramref name="data"/>); <paramref name="throwAway"/> deletes the data once the server has stopped.
    /// </summary>
    public static IResourceBuilder<T> WithResetDataCommand<T>(this IResourceBuilder<T> builder, string data, Func<CancellationToken, Task> throwAway)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(data);
        ArgumentNullException.ThrowIfNull(throwAway);
        return builder.WithCommand(Name, "Reset data", context => ResetAsync(builder.Resource, throwAway, context), new CommandOptions
        {
            Description = "Throw the data away and start again as on a first start (initdb, then the seed scripts). The clients are stopped first and started again after.",
            ConfirmationMessage = $"Delete every database and row in {data}, and seed it again from the seed scripts?",
            IconName = "ArrowReset",
            // Not while a start or a stop is under way; a stopped or failed server can be reset too.
            UpdateState = context => context.ResourceSnapshot.State?.Text is { } state
                && (state == KnownResourceStates.Running || KnownResourceStates.TerminalStates.Contains(state) || state == KnownResourceStates.FailedToStart)
                    ? ResourceCommandState.Enabled
                    : ResourceCommandState.Disabled,
        });
    }

    private static async Task<ExecuteCommandResult> ResetAsync(IResource server, Func<CancellationToken, Task> throwAway, ExecuteCommandContext context)
    {
        var commands = context.Services.GetRequiredService<ResourceCommandService>();
        var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
        var model = context.Services.GetRequiredService<DistributedApplicationModel>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(s_stepTimeout);
        var cancellationToken = timeout.Token;

        var clients = ClientsOf(server, model);
        // A client still waiting for the server (one that never became healthy: a refused password, a failed seed) is
        // left waiting: it goes on by itself once the reset server is healthy, and a stop or start would collide with that.
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
            await throwAway(cancellationToken);
        }
        catch (DistributedApplicationException ex)
        {
            return CommandResults.Failure($"The data was not reset: {ex.Message}");
        }

        notifications.TryGetCurrentState(server.Name, out var stopped);
        await RunAsync(commands, server, KnownResourceCommands.StartCommand, cancellationToken);
        var started = await notifications.WaitForResourceAsync(server.Name, StartOutcome.After(stopped?.Snapshot), cancellationToken);
        if (started.Snapshot.State?.Text != KnownResourceStates.Running)
        {
            // A failed seed leaves the data marked unfinished, as on a failed first start: fixing the script and starting again is enough.
            return CommandResults.Failure($"The data was reset, but the server did not start again ({started.Snapshot.State?.Text}). Fix: see its log; after fixing a seed script, start it again.");
        }

        foreach (var client in clients.Except(waiting))
        {
            await RunAsync(commands, client, KnownResourceCommands.StartCommand, cancellationToken);
        }

        return CommandResults.Success("The data was reset and seeded again.");
    }

    /// <summary>The resources that wait for the server or one of its databases: the ones that use the data.</summary>
    private static List<IResource> ClientsOf(IResource server, DistributedApplicationModel model) =>
        [.. model.Resources.Where(r => r.Annotations.OfType<WaitAnnotation>()
            .Any(w => w.Resource == server || w.Resource is IResourceWithParent database && database.Parent == server))];

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
            throw new DistributedApplicationException($"Reset data: '{command}' of '{resource.Name}' failed: {result.Message}");
        }
    }
}

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
        return builder.WithCommand(Name, "Reset data", context => StoppedDataCommand.RunAsync(builder.Resource, throwAway, context,
            "The data was not reset", "The data was reset and seeded again."), new CommandOptions
        {
            Description = "Throw the data away and start again as on a first start (initdb, then the seed scripts). The clients are stopped first and started again after.",
            ConfirmationMessage = $"Delete every database and row in {data}, and seed it again from the seed scripts?",
            IconName = "ArrowReset",
            UpdateState = StoppedDataCommand.UpdateState,
        });
    }
}

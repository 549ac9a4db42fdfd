using HelloAspire.Seeding;

namespace HelloAspire.Worker;

/// <summary>
/// The seeding step (<c>Hello:Task=Seed</c>) for a server the app does not start (a managed PostgreSQL, or an existing
/// server when asked): the scripts in <c>seed/</c> by the same rule as the AppHost applies them to the servers it runs
/// (<see cref="SeedScripts"/>), on a connection opened with the worker's retries.
/// </summary>
public sealed class HelloSeeder(HelloReader reader, IOptions<HelloOptions> options, ILogger<HelloSeeder> logger)
{
    /// <exception cref="SeedException">A script failed, changed after it was applied, or cannot run.</exception>
    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        var scripts = SeedScripts.Find(options.Value.SeedDirectory, $"{HelloOptions.SectionName}:{nameof(HelloOptions.SeedDirectory)}");
        await using var connection = await reader.OpenWithRetriesAsync(cancellationToken);
        await SeedScripts.ApplyAsync(connection, scripts, logger, cancellationToken);
    }
}

namespace Aspire.Hosting;

/// <summary>
/// Seeding a server the app does not start, as dotnet/aspire-samples' database-migrations does: a one-shot step that
/// seeds the database and exits, and clients that wait for it to complete.
/// </summary>
public static class SeedStepExtensions
{
    /// <summary>
    /// Adds <typeparamref name="TProject"/> as the seeding step of <paramref name="database"/>, unless the AppHost seeds
    /// it (<see cref="SeedScriptsExtensions.WithSeedScripts"/>), its image does (<see cref="PostgresDatabaseAnnotation.SeededOnFirstStart"/>),
    /// or <paramref name="seedExternalServer"/> is false: a server the app does not run is written to only when asked.
    /// Returns null when there is no step.
    /// </summary>
    public static IResourceBuilder<ProjectResource>? AddSeedStep<TProject>(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, IResourceBuilder<IResourceWithConnectionString> database, bool seedExternalServer)
        where TProject : IProjectMetadata, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(database);
        if (database.Resource.Annotations.OfType<SeedScriptsAnnotation>().Any()
            || PostgresDatabaseAnnotation.Of(database.Resource).SeededOnFirstStart
            || !seedExternalServer)
        {
            return null;
        }

        return builder.AddProject<TProject>(name)
            .WithBuildOutputLaunch()
            .WithConnectionString(database)
            .WaitFor(database);
    }

    /// <summary>Waits until the seeding step has completed successfully (a failed step fails the client's start); nothing without one.</summary>
    public static IResourceBuilder<T> WaitForSeed<T>(this IResourceBuilder<T> client, IResourceBuilder<ProjectResource>? seed)
        where T : IResourceWithWaitSupport
    {
        ArgumentNullException.ThrowIfNull(client);
        return seed is null ? client : client.WaitForCompletion(seed);
    }
}

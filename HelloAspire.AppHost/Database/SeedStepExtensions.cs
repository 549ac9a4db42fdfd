using HelloAspire.AppHost.ProjectLaunch;

namespace HelloAspire.AppHost.Database;

/// <summary>
/// Seeding a server the app does not start, as dotnet/aspire-samples' database-migrations does: a one-shot step that
/// applies seed/*.sql (each script once, recorded in the database) and exits, and clients that wait for it to complete.
/// </summary>
public static class SeedStepExtensions
{
    /// <summary>The environment that turns the seeding project into the seeding step (the worker's <c>Hello:Task=Seed</c>).</summary>
    public const string TaskVariable = "Hello__Task";

    /// <summary>
    /// Adds the seeding step where the database needs one: a managed server when publishing with
    /// <c>Postgres:PublishAs=managed</c>, or an existing server with <c>Postgres:SeedExisting=true</c> (it writes into a
    /// server the app does not own, so only when asked). Elsewhere the database seeds itself on its first start, and
    /// this returns null.
    /// </summary>
    public static IResourceBuilder<ProjectResource>? AddSeedStep<TProject>(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<IResourceWithConnectionString> database)
        where TProject : IProjectMetadata, new()
    {
        var settings = HelloDatabaseSettings.Read(builder.Configuration, builder.AppHostDirectory);
        // The container's and the local server's databases seed themselves on their first start.
        var seedsItself = database.Resource is PostgresDatabaseResource or LocalPostgres.LocalPostgresDatabaseResource;
        var needed = !seedsItself && (database.Resource is not ExistingPostgresDatabaseResource || settings.SeedExisting);
        if (!needed)
        {
            return null;
        }

        var seed = builder.AddProject<TProject>(name)
            .WithBuildOutputLaunch()
            .WithConnectionString(database)
            .WaitFor(database)
            .WithEnvironment(TaskVariable, "Seed");
        return builder.ExecutionContext.IsRunMode
            // Running, the step applies the scripts where the AppHost finds them (Postgres:SeedDirectory); deployed, the copy it ships with.
            ? seed.WithEnvironment("Hello__SeedDirectory", settings.SeedDirectory)
            : seed;
    }

    /// <summary>Waits until the seeding step has completed successfully (a failed step fails the client's start); nothing without one.</summary>
    public static IResourceBuilder<T> WaitForSeed<T>(this IResourceBuilder<T> client, IResourceBuilder<ProjectResource>? seed)
        where T : IResourceWithWaitSupport =>
        seed is null ? client : client.WaitForCompletion(seed);
}

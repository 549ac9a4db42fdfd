namespace HelloAspire.Hosting.PostgreSQL;

/// <summary>A server and the databases declared on it (its children in the app model): what shares its data and its state.</summary>
internal static class ServerAndDatabases
{
    /// <summary>The databases declared on <paramref name="server"/>, in the app model's order.</summary>
    public static IEnumerable<IResource> DatabasesOf(IResource server, DistributedApplicationModel model) =>
        model.Resources.Where(resource => IsDatabaseOf(server, resource));

    /// <summary>True for the server itself and for a database declared on it.</summary>
    public static bool Includes(IResource server, IResource resource) => resource == server || IsDatabaseOf(server, resource);

    private static bool IsDatabaseOf(IResource server, IResource resource) => resource is IResourceWithParent child && child.Parent == server;
}

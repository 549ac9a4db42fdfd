namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// What the rest of an AppHost needs to know of a PostgreSQL database, whichever kind it is (Aspire's container, the
/// host's binaries, a server that already runs, a managed one). The database resource carries it, so no caller asks
/// for the resource's type; a database without one is a server the app does not run.
/// </summary>
/// <param name="ServerRunByTheApp">The app runs the server and made its password: it accepts SCRAM only, so its clients may insist on it.</param>
/// <param name="SeededOnFirstStart">The server runs the seed scripts itself when its data is new (a deployed image with the scripts baked in), so it needs no seeding step.</param>
public sealed record PostgresDatabaseAnnotation(bool ServerRunByTheApp, bool SeededOnFirstStart) : IResourceAnnotation
{
    /// <summary>A database on a server the app runs: its container, or the host's binaries.</summary>
    public static readonly PostgresDatabaseAnnotation RunByTheApp = new(ServerRunByTheApp: true, SeededOnFirstStart: false);

    /// <summary>A database on a deployed container whose image seeds new data itself.</summary>
    public static readonly PostgresDatabaseAnnotation SeededByItsImage = new(ServerRunByTheApp: true, SeededOnFirstStart: true);

    /// <summary>A database on a server the app does not run: an existing one, or a managed one.</summary>
    public static readonly PostgresDatabaseAnnotation External = new(ServerRunByTheApp: false, SeededOnFirstStart: false);

    /// <summary>The database's annotation; <see cref="External"/> when it has none.</summary>
    public static PostgresDatabaseAnnotation Of(IResource database)
    {
        ArgumentNullException.ThrowIfNull(database);
        return database.Annotations.OfType<PostgresDatabaseAnnotation>().LastOrDefault() ?? External;
    }
}

using System.Diagnostics;
using System.Globalization;
using HelloAspire.Hosting.PostgreSQL;

namespace Aspire.Hosting;

/// <summary>
/// A <c>psql</c> command in every mode (a button in the dashboard's actions, or <c>aspire resource &lt;name&gt; psql</c>):
/// psql in the dashboard's terminal dock, on the app's database, signed in with the app's credentials. The container's
/// runs psql as Aspire's <c>WithRepl</c> does, but on the app's database (WithRepl always opens <c>postgres</c>); an
/// existing server's is the host's psql (a local server's: <see cref="LocalPostgresPsqlConsoleExtensions"/>). The
/// command's result is the terminal's id.
/// </summary>
public static class PsqlConsoleExtensions
{
    /// <summary>The command's name (<c>aspire resource postgres psql</c>).</summary>
    public const string CommandName = "psql";

    // The property of a container's snapshot that holds its id (Aspire's dashboard shows it as "Container ID").
    private const string ContainerIdProperty = "container.id";

    /// <summary>
    /// psql inside the running container, through <c>&lt;runtime&gt; exec -it</c> as Aspire's <c>WithRepl</c> does it:
    /// the password is passed by its name (<c>--env PGPASSWORD</c>) from the exec's own environment, so the session sees
    /// the container's environment and nothing of the AppHost's.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> WithPsqlConsole(this IResourceBuilder<PostgresServerResource> server, string databaseName, Func<string> runtimeName)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrEmpty(databaseName);
        ArgumentNullException.ThrowIfNull(runtimeName);
        var resource = server.Resource;
        return PsqlConsole.Add(server, databaseName, async context =>
        {
            var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
            var containerId = notifications.TryGetCurrentState(context.ResourceName, out var state)
                ? state.Snapshot.Properties.FirstOrDefault(p => p.Name == ContainerIdProperty)?.Value as string
                : null;
            if (string.IsNullOrEmpty(containerId))
            {
                throw new DistributedApplicationException($"{resource.Name} has no container yet. Fix: start it, then open psql again.");
            }

            var user = await resource.UserNameReference.GetValueAsync(context.CancellationToken) ?? "postgres";
            var password = await PasswordParameterValue.RequiredAsync(resource.PasswordParameter, message => new DistributedApplicationException(message), context.CancellationToken);
            var port = resource.PrimaryEndpoint.TargetPort?.ToString(CultureInfo.InvariantCulture) ?? "5432";
            return new PsqlConsole.Launch(runtimeName(),
                ["exec", "-it", "--env", "PGPASSWORD", containerId, "psql", "--username", user, "--dbname", databaseName, "--no-password", "--port", port],
                new Dictionary<string, string> { ["PGPASSWORD"] = password },
                server.ApplicationBuilder.AppHostDirectory);
        }, PsqlConsole.IsRunning);
    }

    /// <summary>
    /// psql (<paramref name="psql"/>, else the one on the PATH) on the existing server, with the connection string's
    /// host, port, user, password, database and SSL mode as libpq's variables and nothing of the AppHost's environment.
    /// </summary>
    public static IResourceBuilder<ExistingPostgresDatabaseResource> WithPsqlConsole(this IResourceBuilder<ExistingPostgresDatabaseResource> database, string? psql)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (psql is { Length: 0 })
        {
            throw new ArgumentException("Give psql's path, or null for the one on the PATH.", nameof(psql));
        }

        var resource = database.Resource;
        var databaseName = resource.DatabaseName;
        return PsqlConsole.Add(database, databaseName, context =>
        {
            var program = psql ?? HelloAspire.Hosting.Processes.ExecutablePath.Find("psql")
                ?? throw new DistributedApplicationException("psql is not installed on this machine. Fix: install PostgreSQL's client (Debian/Ubuntu: sudo apt-get install postgresql-client), then open psql again.");
            var startInfo = new ProcessStartInfo(program) { WorkingDirectory = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) };
            startInfo.Environment.Clear();
            startInfo.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH");
            startInfo.Environment["HOME"] = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            foreach (var (name, value) in resource.LibpqVariables())
            {
                startInfo.Environment[name] = value;
            }

            return Task.FromResult(PsqlConsole.WithOnlyItsOwnEnvironment(startInfo));
        }, _ => true);
    }
}

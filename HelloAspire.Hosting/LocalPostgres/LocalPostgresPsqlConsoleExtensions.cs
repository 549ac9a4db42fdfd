using HelloAspire.Hosting.PostgreSQL;

namespace Aspire.Hosting;

/// <summary>A local server's <c>psql</c> command (see <see cref="PsqlConsoleExtensions"/>).</summary>
public static class LocalPostgresPsqlConsoleExtensions
{
    /// <summary>
    /// The installation's psql on the local server, run as the server's account (when the AppHost runs as root, a
    /// shell that psql's <c>\!</c> opens is that account's, not root's), with nothing of the AppHost's environment but
    /// libpq's variables for the server.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static IResourceBuilder<LocalPostgresServerResource> WithPsqlConsole(this IResourceBuilder<LocalPostgresServerResource> server, string databaseName)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrEmpty(databaseName);
        var resource = server.Resource;
        return PsqlConsole.Add(server, databaseName, async context =>
        {
            var password = await PasswordParameterValue.RequiredAsync(resource.PasswordParameter, message => new DistributedApplicationException(message), context.CancellationToken);
            var host = await resource.Host.GetValueAsync(context.CancellationToken);
            var port = await resource.Port.GetValueAsync(context.CancellationToken);
            var psql = resource.Account.ToolStartInfo(resource.Installation.Psql, [], new Dictionary<string, string>
            {
                ["PGHOST"] = host!,
                ["PGPORT"] = port!,
                ["PGUSER"] = LocalPostgresServerResource.UserName,
                ["PGPASSWORD"] = password,
                ["PGDATABASE"] = databaseName,
            });
            return PsqlConsole.WithOnlyItsOwnEnvironment(psql);
        }, PsqlConsole.IsRunning);
    }
}

using System.Runtime.Versioning;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>A database on a <see cref="LocalPostgresServerResource"/>; created on start when missing.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public LocalPostgresServerResource Parent { get; } = parent;

    /// <summary>The server's connection string and the database, quoted as a connection string needs (a name may hold ';' or '=').</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};{new System.Data.Common.DbConnectionStringBuilder { ["Database"] = DatabaseName }.ConnectionString}");

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties() =>
        Parent.CombineProperties(
        [
            new("DatabaseName", ReferenceExpression.Create($"{DatabaseName}")),
            new("Uri", Parent.UriExpression(DatabaseName)),
            new("JdbcConnectionString", Parent.JdbcConnectionStringExpression(DatabaseName)),
        ]);
}

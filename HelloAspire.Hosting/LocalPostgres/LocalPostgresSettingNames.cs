namespace Aspire.Hosting;

/// <summary>
/// How an app lets its user change what a local PostgreSQL server uses: the names the integration's fixes give
/// ("Fix: set … to a new path"). The defaults speak of the integration's own arguments; an app with settings gives
/// their names, so that each fix names what the user can change.
/// </summary>
public sealed record LocalPostgresSettingNames
{
    /// <summary>What holds the data's lock, in the line a second one gets.</summary>
    public string AppName { get; init; } = "An AppHost";

    public string DataDirectory { get; init; } = "the data directory";

    public string BinDirectory { get; init; } = "the bin directory";

    public string Port { get; init; } = "the port";

    public string TemplateDirectory { get; init; } = "the template directory";

    /// <summary>How to make new data with initdb instead of a template: an instruction.</summary>
    public string NoTemplate { get; init; } = "leave out WithInitTemplate";

    /// <summary>What made the server a kept-running one.</summary>
    public string PersistentLifetime { get; init; } = "WithPersistentServer";

    /// <summary>Why a kept-running server is stopped when this run's server is not persistent.</summary>
    public string SessionLifetime { get; init; } = "the server is not persistent";

    /// <summary>How to run a second AppHost beside one that holds the data: an instruction.</summary>
    public string SecondAppHost { get; init; } = "give it its own data directory and ports";
}

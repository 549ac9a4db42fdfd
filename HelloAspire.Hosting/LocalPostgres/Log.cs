namespace HelloAspire.Hosting.LocalPostgres;

/// <summary>What the local server's start writes to its resource log (the dashboard's console view), and the one line the AppHost's console gets.</summary>
internal static partial class Log
{
    /// <summary>The AppHost console's category for the local server's lines.</summary>
    public const string Category = "LocalPostgres";

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Using the kept data in {DataDirectory} (PostgreSQL {Version}).")]
    public static partial void UsingKeptData(ILogger logger, string dataDirectory, string? version);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "The first start on {DataDirectory} did not finish; initializing it again.")]
    public static partial void ReinitializingHalfInitializedData(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 312, Level = LogLevel.Warning, Message = "Stopped a server that an earlier run left on {DataDirectory} (process {Pid}; its AppHost was gone): fast shutdown, then this start goes on.")]
    public static partial void StoppedLeftoverServer(ILogger logger, int pid, string dataDirectory);

    [LoggerMessage(EventId = 314, Level = LogLevel.Information, Message = "Adopting the kept-running server on {DataDirectory} (process {Pid}), started by an earlier run ({Setting}).")]
    public static partial void AdoptingKeptServer(ILogger logger, int pid, string dataDirectory, string setting);

    [LoggerMessage(EventId = 315, Level = LogLevel.Information, Message = "Stopped the kept-running server (process {Pid}) before this start: {Reason}.")]
    public static partial void StoppedKeptServer(ILogger logger, int pid, string reason);

    [LoggerMessage(EventId = 318, Level = LogLevel.Information, Message = "Waited for the processes of a server that was killed on {DataDirectory} to end (they hold its shared memory) before starting a new one.")]
    public static partial void WaitedForOrphans(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 313, Level = LogLevel.Warning, Message = "The server's shutdown could not be made fast, so it waits for its clients: {Error}")]
    public static partial void ShutdownNotHurried(ILogger logger, string error);

    [LoggerMessage(EventId = 305, Level = LogLevel.Information, Message = "Initialized a new data directory in {DataDirectory} in {ElapsedMs} ms.")]
    public static partial void Initialized(ILogger logger, string dataDirectory, long elapsedMs);

    [LoggerMessage(EventId = 316, Level = LogLevel.Information, Message = "Initialized a new data directory in {DataDirectory} from the template cluster {Template} in {ElapsedMs} ms.")]
    public static partial void InitializedFromTemplate(ILogger logger, string dataDirectory, string template, long elapsedMs);

    [LoggerMessage(EventId = 317, Level = LogLevel.Information, Message = "Made the template cluster {Template} (initdb once per PostgreSQL installation and options) in {ElapsedMs} ms.")]
    public static partial void TemplateCreated(ILogger logger, string template, long elapsedMs);

    [LoggerMessage(EventId = 307, Level = LogLevel.Information, Message = "Seed: applied {Script}.")]
    public static partial void AppliedToNewData(ILogger logger, string script);

    [LoggerMessage(EventId = 309, Level = LogLevel.Information, Message = "Ready: data in {DataDirectory}, new data this start: {NewData}.")]
    public static partial void Ready(ILogger logger, string dataDirectory, bool newData);

    [LoggerMessage(EventId = 310, Level = LogLevel.Error, Message = "{Error}")]
    public static partial void StartFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 311, Level = LogLevel.Error, Message = "{Resource} cannot start: {Error}")]
    public static partial void ResourceStartFailed(ILogger logger, string resource, string error);
}

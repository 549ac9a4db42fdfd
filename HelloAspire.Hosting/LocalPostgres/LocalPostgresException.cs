namespace Aspire.Hosting;

/// <summary>A problem with the local PostgreSQL server that the user can fix; the message says how.</summary>
public sealed class LocalPostgresException(string message, Exception? innerException = null)
    : DistributedApplicationException(message, innerException!);

namespace Aspire.Hosting;

/// <summary>
/// Where a server the app runs listens on the host, and what its clients are given: IPv4's loopback itself, never
/// "localhost", which a client may try on ::1 first, where another local user can listen on the same port.
/// </summary>
public static class Loopback
{
    public const string Address = "127.0.0.1";
}

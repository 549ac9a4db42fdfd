namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>
/// Where the app's servers listen on the host, and what their clients are given: IPv4's loopback itself, never
/// "localhost", which a client may try on ::1 first, where another local user can listen on the same port.
/// </summary>
public static class Loopback
{
    public const string Address = "127.0.0.1";
}

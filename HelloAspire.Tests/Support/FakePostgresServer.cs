using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HelloAspire.Tests.Support;

/// <summary>
/// Another local user's listener on a port the app uses: it accepts whatever connects, asks for the password in clear
/// text (PostgreSQL's AuthenticationCleartextPassword, which a client that does not insist on SCRAM answers) and
/// keeps every byte it is sent.
/// </summary>
public sealed class FakePostgresServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly MemoryStream _received = new();
    private int _connections;

    public FakePostgresServer(IPAddress address, int port)
    {
        _listener = new TcpListener(address, port);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            _listener.Server.DualMode = false; // [::1] only: the app's own 127.0.0.1 listener on the same port stays possible
        }

        _listener.Start();
        _accepting = AcceptAsync(_stop.Token);
    }

    /// <summary>True when the machine has an IPv6 loopback to listen on.</summary>
    public static bool HasIpv6Loopback => Socket.OSSupportsIPv6 && File.Exists("/proc/net/if_inet6") && File.ReadAllText("/proc/net/if_inet6").Contains("00000000000000000000000000000001", StringComparison.Ordinal);

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Everything clients sent, as text (the startup packet names the user and database; a password message holds the password).</summary>
    public string Received
    {
        get
        {
            lock (_received)
            {
                return Encoding.UTF8.GetString(_received.ToArray());
            }
        }
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken);
                Interlocked.Increment(ref _connections);
                _ = ServeAsync(client, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var askedForPassword = false;
                while (await stream.ReadAsync(buffer, cancellationToken) is var read and > 0)
                {
                    lock (_received)
                    {
                        _received.Write(buffer, 0, read);
                    }

                    if (askedForPassword)
                    {
                        break; // what it wanted, or nothing more to come: the client learns at once that the "server" has gone
                    }

                    askedForPassword = true;
                    // 'R', length 8, 3 = AuthenticationCleartextPassword. (An SSLRequest is answered the same way, as a misbehaving server would.)
                    await stream.WriteAsync(new byte[] { (byte)'R', 0, 0, 0, 8, 0, 0, 0, 3 }, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // The client gave up, or the test is over.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}

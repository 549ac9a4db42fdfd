using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace HelloAspire.Tests.Support;

/// <summary>
/// A registry that is up but does not have the image, like a mirror without it or a name with a typo: on a loopback
/// port, over HTTPS with the trusted development certificate. Its API root answers (so the AppHost's image probe finds
/// it reachable); every other request gets the registry API's 404 <c>MANIFEST_UNKNOWN</c>. The container runtime
/// reaches it through <see cref="WriteRegistriesConf"/> (it does not trust the development certificate).
/// </summary>
public sealed class UnpullableRegistry : IAsyncDisposable
{
    // The ASP.NET Core development certificate's extension (what `dotnet dev-certs https` makes and ./test.sh trusts).
    private const string DevelopmentCertificateOid = "1.3.6.1.4.1.311.84.1.1";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public UnpullableRegistry()
    {
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadOnly);
        _certificate = store.Certificates.FirstOrDefault(c => c.HasPrivateKey && c.NotAfter > DateTime.Now && c.Extensions[DevelopmentCertificateOid] is not null)
            ?? throw new InvalidOperationException("No HTTPS development certificate. Fix: dotnet dev-certs https --trust (./test.sh does it).");
        _listener.Start();
        _serving = ServeAsync();
    }

    /// <summary>The registry's host, as an image reference names it.</summary>
    public string Host => $"localhost:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>
    /// A registries.conf (<c>containers-registries.conf(5)</c>) for the runtime's <c>CONTAINERS_REGISTRIES_CONF</c>
    /// that lets it use this registry without checking its certificate, as a company mirror is often set up.
    /// </summary>
    public string WriteRegistriesConf(string directory)
    {
        var path = Path.Combine(directory, "registries.conf");
        File.WriteAllText(path, $"""
            [[registry]]
            location = "{Host}"
            insecure = true
            """);
        return path;
    }

    private async Task ServeAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = AnswerAsync(client);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsServerAsync(_certificate);
                using var reader = new StreamReader(tls, leaveOpen: true);
                var request = await reader.ReadLineAsync(_stop.Token) ?? "";
                while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 })
                {
                    // The request's headers: nothing in them changes the answer.
                }

                var (status, body) = request.Split(' ') is [_, "/v2/" or "/v2", ..]
                    ? ("200 OK", "{}")
                    : ("404 Not Found", """{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}""");
                await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nDocker-Distribution-API-Version: registry/2.0\r\n" +
                    $"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), _stop.Token);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
            {
                // A client that refuses the certificate (the runtime's pull) or goes away: that is what this registry is for.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        _stop.Dispose();
        _certificate.Dispose();
    }
}

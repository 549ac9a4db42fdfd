using System.Diagnostics;
using System.Runtime.Versioning;
using HelloAspire.Hosting.LocalPostgres.Cluster;
using HelloAspire.Hosting.LocalPostgres.Unix;
using HelloAspire.Hosting.Processes;

namespace HelloAspire.Hosting.LocalPostgres.Lifecycle;

/// <summary>
/// The first start's private server, as in the official image's entrypoint: unix socket only (no TCP, so nothing
/// can connect and nothing can look ready mid-initialization), run while the databases are created and the seed
/// scripts run, then stopped. Only after that does DCP start the real server, so a failed seed is a failed start.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class InitServer : IAsyncDisposable
{
    // The socket lives in the data's private directory, so this port number cannot clash with another server.
    private const int SocketPort = 5432;
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;

    private InitServer(Process process, PsqlTarget target)
    {
        _process = process;
        Target = target;
    }

    /// <summary>The superuser over the unix socket, in database 'postgres'.</summary>
    public PsqlTarget Target { get; }

    public static async Task<InitServer> StartAsync(LocalPostgresServerResource server, string password, ILogger resourceLog, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var data = server.Data;
        var startInfo = server.Account.ToolStartInfo(server.Installation.Postgres,
        [
            "-D", data.PgData,
            "-p", SocketPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c", "listen_addresses=",
            "-c", $"unix_socket_directories={data.SocketDirectory}",
            "-c", "unix_socket_permissions=0700",
        ]);

        var startedAt = DateTimeOffset.UtcNow;
        var process = ProcessRunner.StartLogged(startInfo, resourceLog)
            ?? throw new LocalPostgresException($"'{server.Installation.Postgres}' could not be started. Fix: check the server binaries in {server.Installation.BinDirectory}.");

        var initServer = new InitServer(process, new PsqlTarget(data.SocketDirectory, SocketPort, password, "postgres"));
        try
        {
            using var startup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            startup.CancelAfter(timeout);
            await PostmasterPidFile.WaitUntilReadyAsync(data, server.Account, startedAt, adoptedPid: null, process.WaitForExitAsync(cancellationToken), startup.Token);
            return initServer;
        }
        catch
        {
            await initServer.DisposeAsync();
            throw;
        }
    }

    /// <summary>Fast shutdown (SIGINT), as <c>pg_ctl stop -m fast</c>; killed only if it does not stop in time.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            ServerAccount.SignalFastShutdown(_process.Id);
            using var timeout = new CancellationTokenSource(s_stopTimeout);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Runtime.Versioning;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>
/// What the AppHost holds for each local server while it runs: its lock on the data, the first start prepared early,
/// and the start in progress. The resources keep only their settings. It is also the one way a local server ends
/// with its AppHost: the server stopped, the data let go, throwaway data deleted.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class LocalPostgresRuntime(DistributedApplicationModel model, IServiceProvider services, IHostApplicationLifetime lifetime)
    : IHostedLifecycleService, IAsyncDisposable
{
    private static readonly TimeSpan s_stopWait = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<LocalPostgresServerResource, ServerState> _servers = new();
    private int _ended;

    /// <summary>
    /// Prepares each server's first start (initdb, seed) as soon as the host starts, in parallel with DCP and the
    /// dashboard instead of after them. <see cref="IHostedLifecycleService.StartingAsync"/> runs before any hosted
    /// service starts, and only for a host that really starts.
    /// </summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        foreach (var server in model.Resources.OfType<LocalPostgresServerResource>())
        {
            var state = StateOf(server);
            state.EarlyStart = NewStart(server, state.DataLock);
            state.Preparing = state.EarlyStart.PrepareAsync(firstStart: true, lifetime.ApplicationStopping);
        }

        return Task.CompletedTask;
    }

    /// <summary>DCP is about to launch the server: the first start takes what was prepared early, a restart prepares now.</summary>
    public async Task BeforeServerStartsAsync(LocalPostgresServerResource server, CancellationToken cancellationToken)
    {
        var state = StateOf(server);
        if (state.Current?.ServerProcessId is { } earlier)
        {
            state.EndedServers.TryAdd(earlier, 0);
        }

        var start = state.EarlyStart ?? NewStart(server, state.DataLock);
        if (state.EarlyStart is null)
        {
            state.Preparing = start.PrepareAsync(firstStart: false, cancellationToken);
        }

        state.EarlyStart = null;
        state.Current = start;
        await state.Preparing;
        start.BeginCompletingStart();
    }

    /// <summary>
    /// A server process ended (stopped from the dashboard, crashed). Aspire reports the end after the new state, so a
    /// start asked for in between (the dashboard, a script) can see the end of the server before it: an end is the
    /// current start's only if neither its process (when the snapshot still names it) nor its start time (a process
    /// started before the current start began, which did not adopt it) says it was an earlier one.
    /// </summary>
    public void ServerStopped(LocalPostgresServerResource server, int? processId, DateTime? processStartedAt)
    {
        var state = StateOf(server);
        var current = state.Current;
        var earlier = processId is { } pid && state.EndedServers.ContainsKey(pid)
            || processStartedAt is { } startedAt && current is { AdoptedServerProcessId: null } && startedAt.ToUniversalTime() < current.StartedAt.UtcDateTime;
        if (!earlier)
        {
            current?.ServerExited();
        }
    }

    /// <summary>The start in progress, or the last one; null before the first.</summary>
    public LocalPostgresStart? CurrentStart(LocalPostgresServerResource server) => StateOf(server).Current;

    /// <summary>
    /// Before Aspire stops its resources (DCP would send SIGTERM: see <see cref="PostmasterPidFile.MakeShutdownFastAsync"/>),
    /// each running server gets a fast shutdown, so that the AppHost never exits before its server and never leaves it killed.
    /// A persistent server is left running for the next run (DCP leaves it too).
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        foreach (var (server, state) in _servers)
        {
            if (state.DataLock.IsHeld && !server.Persistent)
            {
                await server.Data.StopServerAsync(server.Account, s_stopWait, CancellationToken.None);
            }
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => EndAsync();

    /// <summary>
    /// The host never stops its services when a stop cancelled its start (Ctrl+C while a client still waits for the
    /// server, a first start's seed still running): then the end comes when the host is disposed.
    /// </summary>
    public async ValueTask DisposeAsync() => await EndAsync();

    /// <summary>
    /// Once: an AppHost stopped during a preparation must not return while initdb or the seed still runs (its init
    /// server gets a fast shutdown as the preparation is cancelled); then the AppHost lets go of the data (a persistent
    /// server runs on without a holder until the next run takes the lock), and deletes it if it was throwaway.
    /// </summary>
    private async Task EndAsync()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return;
        }

        foreach (var (server, state) in _servers)
        {
            // A failed preparation was already reported on the resource's log and the console.
            await Task.WhenAny(state.Preparing, Task.Delay(s_stopWait, CancellationToken.None));

            if (!state.DataLock.IsHeld)
            {
                continue;
            }

            // A server whose preparation ended after the Stopping step (a start cancelled mid-way) is stopped here.
            if (!server.Persistent)
            {
                await server.Data.StopServerAsync(server.Account, s_stopWait, CancellationToken.None);
            }

            state.DataLock.Dispose();
            if (server.DeleteDataOnStop)
            {
                await server.Data.DeleteAsync(server.Account, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private ServerState StateOf(LocalPostgresServerResource server) =>
        _servers.GetOrAdd(server, s => new ServerState(new LocalPostgresDataLock(s.Data, DashboardUrl())));

    /// <summary>The dashboard's address from the launch profile (<c>ASPNETCORE_URLS</c>), for a second AppHost's error; null when its port is dynamic.</summary>
    private string? DashboardUrl() =>
        services.GetRequiredService<IConfiguration>()["ASPNETCORE_URLS"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Port > 0);

    private LocalPostgresStart NewStart(LocalPostgresServerResource server, LocalPostgresDataLock dataLock) =>
        new(server,
            dataLock,
            services.GetRequiredService<ResourceLoggerService>().GetLogger(server),
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LocalPostgresServerResource).Namespace!),
            services.GetRequiredService<ResourceNotificationService>(),
            lifetime.ApplicationStopping);

    private sealed class ServerState(LocalPostgresDataLock dataLock)
    {
        public LocalPostgresDataLock DataLock { get; } = dataLock;

        /// <summary>The first start, prepared early, until DCP launches the server.</summary>
        public LocalPostgresStart? EarlyStart { get; set; }

        /// <summary>The last preparation begun (the first start's, early, or a restart's), which the end waits for.</summary>
        public Task Preparing { get; set; } = Task.CompletedTask;

        public LocalPostgresStart? Current { get; set; }

        /// <summary>The server processes of earlier starts, whose late end reports belong to no current start (read on Aspire's event thread).</summary>
        public ConcurrentDictionary<int, byte> EndedServers { get; } = new();
    }
}

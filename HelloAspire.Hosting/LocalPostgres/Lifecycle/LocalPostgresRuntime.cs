using System.Collections.Concurrent;
using System.Runtime.Versioning;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.Hosting.LocalPostgres.Lifecycle;

/// <summary>
/// What the AppHost holds for each local server while it runs: its lock on the data and its current start. It
/// prepares the first start early, turns DCP's stop of a server into a fast shutdown, and ends every server with the
/// AppHost: stopped (unless kept running), the data let go, throwaway data deleted. The resources keep only their settings.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class LocalPostgresRuntime(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ResourceLoggerService resourceLogs,
    ILoggerFactory loggerFactory,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime)
    : IHostedLifecycleService, IAsyncDisposable
{
    private static readonly TimeSpan s_stopWait = TimeSpan.FromSeconds(30);

    // How long a stop DCP began may take to reach the server with its signal.
    private static readonly TimeSpan s_shutdownSignalBound = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<LocalPostgresServerResource, ServerRun> _runs = new();
    private int _ended;

    /// <summary>
    /// Prepares each server's first start (initdb, seed) as the host starts, beside DCP and the dashboard rather than
    /// after them. Runs before any hosted service starts, and only for a host that really starts. The preparation
    /// begins on the thread pool: its first steps (the checks of the binaries and the data, the lock) run without a
    /// wait that would give the thread back, and on this thread they would hold up every hosted service, DCP's first.
    /// </summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        foreach (var server in model.Resources.OfType<LocalPostgresServerResource>())
        {
            var run = RunOf(server);
            var start = NewStart(server, run.DataLock);
            run.PreparedEarly = start;
            run.Preparation = Task.Run(() => start.PrepareAsync(firstStart: true, lifetime.ApplicationStopping), CancellationToken.None);
        }

        _ = FollowServersAsync(lifetime.ApplicationStopping);
        return Task.CompletedTask;
    }

    /// <summary>DCP is about to launch the server: its first launch takes the start prepared early, a later one prepares now.</summary>
    public async Task BeforeServerStartsAsync(LocalPostgresServerResource server, CancellationToken cancellationToken)
    {
        var run = RunOf(server);
        var start = run.PreparedEarly;
        if (start is null)
        {
            start = NewStart(server, run.DataLock);
            run.Preparation = start.PrepareAsync(firstStart: false, cancellationToken);
        }

        run.PreparedEarly = null;
        run.Current = start;
        await run.Preparation;
        start.WaitUntilReadyInBackground();
    }

    /// <summary>The start in progress, or the last one; null before the first.</summary>
    public LocalPostgresStart? CurrentStart(LocalPostgresServerResource server) => RunOf(server).Current;

    /// <summary>Before Aspire stops its resources: DCP would stop a server with SIGTERM, a shutdown that waits for every client.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => EndAsync();

    /// <summary>A stop that cancelled the host's start never runs its Stopping step: then the end comes as the host is disposed.</summary>
    public async ValueTask DisposeAsync() => await EndAsync();

    /// <summary>
    /// Once, whichever comes first. A preparation still running (initdb, a seed) is cancelled by the AppHost's stop,
    /// and waited for; then each server the AppHost holds is stopped (a kept-running one is left for the next run),
    /// its lock released, and throwaway data deleted.
    /// </summary>
    private async Task EndAsync()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return;
        }

        foreach (var (server, run) in _runs)
        {
            // A failed preparation was already reported on the resource's log and the console.
            await Task.WhenAny(run.Preparation, Task.Delay(s_stopWait, CancellationToken.None));
            if (!run.DataLock.IsHeld)
            {
                continue;
            }

            if (!server.Persistent)
            {
                await server.Data.StopServerAsync(server.Account, s_stopWait, CancellationToken.None);
            }

            run.DataLock.Dispose();
            if (server.DeleteDataOnStop)
            {
                await server.Data.DeleteAsync(server.Account, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Follows each server's state as DCP reports it. A stop that DCP begins (the dashboard's, a script's) gets the
    /// step up to a fast shutdown: ended sessions and a checkpoint, instead of waiting for every client until DCP
    /// kills the server. An end tells the start that waits for its server to be ready.
    /// </summary>
    private async Task FollowServersAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (update.Resource is not LocalPostgresServerResource server || !_runs.TryGetValue(server, out var run))
                {
                    continue;
                }

                var state = update.Snapshot.State?.Text;
                if (state == KnownResourceStates.Stopping && Interlocked.Exchange(ref run.HurryingShutdown, 1) == 0)
                {
                    _ = HurryShutdownAsync(server, run, stoppingToken);
                }
                else if (state is not null && KnownResourceStates.TerminalStates.Contains(state))
                {
                    run.Current?.ServerEnded(ProcessIdOf(update.Snapshot), update.Snapshot.StartTimeStamp);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    /// <summary>Steps a stop DCP began up to a fast shutdown, beside the watch of the states; a failure is logged.</summary>
    /// <remarks>One at a time per server: DCP reports <c>Stopping</c> more than once for one stop.</remarks>
    private async Task HurryShutdownAsync(LocalPostgresServerResource server, ServerRun run, CancellationToken stoppingToken)
    {
        try
        {
            await server.Data.HurryShutdownAsync(server.Account, s_shutdownSignalBound, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping: its own teardown ends the server.
        }
        catch (LocalPostgresException ex)
        {
            Log.ShutdownNotHurried(resourceLogs.GetLogger(server), ex.Message);
        }
        finally
        {
            Volatile.Write(ref run.HurryingShutdown, 0);
        }
    }

    /// <summary>The process DCP ran for one start (the dashboard's <c>executable.pid</c>).</summary>
    private static int? ProcessIdOf(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
            ? Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private ServerRun RunOf(LocalPostgresServerResource server) =>
        _runs.GetOrAdd(server, s => new ServerRun(new LocalPostgresDataLock(s.Data, s.SettingNames, DashboardUrl())));

    /// <summary>The dashboard's address from the launch profile (<c>ASPNETCORE_URLS</c>), for a second AppHost's error; null when its port is dynamic.</summary>
    private string? DashboardUrl() =>
        configuration["ASPNETCORE_URLS"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Port > 0);

    private LocalPostgresStart NewStart(LocalPostgresServerResource server, LocalPostgresDataLock dataLock) =>
        new(server, dataLock, resourceLogs.GetLogger(server), loggerFactory.CreateLogger(Log.Category), notifications, lifetime.ApplicationStopping);

    /// <summary>One server's hold and starts while the AppHost runs.</summary>
    private sealed class ServerRun(LocalPostgresDataLock dataLock)
    {
        public LocalPostgresDataLock DataLock { get; } = dataLock;

        /// <summary>The first start, prepared as the host starts, until DCP launches the server.</summary>
        public LocalPostgresStart? PreparedEarly { get; set; }

        /// <summary>The last preparation begun, which the end waits for.</summary>
        public Task Preparation { get; set; } = Task.CompletedTask;

        public LocalPostgresStart? Current { get; set; }

        /// <summary>1 while a step up to a fast shutdown is under way (a field, for <see cref="Interlocked"/>).</summary>
        public int HurryingShutdown;
    }
}

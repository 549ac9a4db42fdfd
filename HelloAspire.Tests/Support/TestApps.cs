using System.Diagnostics;

namespace HelloAspire.Tests.Support;

/// <summary>
/// Owns what one test starts through Aspire.Hosting.Testing: the apps and their data directory. The test class
/// disposes it on every path, passed or failed, so a failing wait never leaves DCP, a server or data behind for the
/// tests after it: each app still running is stopped, its server is waited for (and stopped if it outlives its
/// AppHost), then the data is deleted.
/// </summary>
public sealed class TestApps : IAsyncDisposable
{
    private readonly List<DistributedApplication> _running = [];
    private readonly Dictionary<DistributedApplication, AppRecording> _recordings = [];
    private readonly List<string> _ownedDirectories = [];

    // The user secrets of this test's apps, unless a test names its own: one store for all its starts, as the
    // developer's one store is for theirs (a password generated at the first start is read at the next).
    private readonly UserSecretsStore _secrets = new();

    public TemporaryDirectory Data { get; } = new();

    /// <summary>A directory the app made elsewhere (throwaway data), deleted with <see cref="Data"/> if it is still there.</summary>
    public void Own(string directory) => _ownedDirectories.Add(directory);

    /// <summary>
    /// Builds and starts the AppHost (<paramref name="configure"/>: a change to its app model first); if the start
    /// throws, the half-started app is disposed before the exception goes on.
    /// </summary>
    public async Task<DistributedApplication> StartAsync(string[] args, CancellationToken cancellationToken, Action<IDistributedApplicationTestingBuilder>? configure = null)
    {
        var (app, started) = await BeginStartAsync(args, cancellationToken, configure);
        try
        {
            await started;
        }
        catch
        {
            Forget(app);
            // The recording first: it keeps how each resource stood, and its log, for the failure report.
            await DisposeRecordingAsync(app);
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    /// <summary>
    /// Builds the app and begins its start without waiting for it: for a start that cannot finish until the test acts
    /// (Aspire's start waits until every resource is created, and a client waiting on a server that never becomes
    /// healthy is not created until the server is fixed). The start's task is bounded by <see cref="HelloApp.StartTimeout"/>.
    /// </summary>
    public async Task<(DistributedApplication App, Task Started)> BeginStartAsync(string[] args, CancellationToken cancellationToken, Action<IDistributedApplicationTestingBuilder>? configure = null)
    {
        using var timeout = HelloApp.Timeout(HelloApp.StartTimeout, cancellationToken);
        // No copy of every resource's log into the test host's logging: nothing reads it (the tests read the logs from
        // ResourceLoggerService), and while it subscribes, Aspire holds all state changes for 5 s at each container stop.
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.HelloAspire_AppHost>(
            _secrets.AddTo(args), (options, _) => options.EnableResourceLogging = false, timeout.Token);
        DistributedApplication app;
        try
        {
            HelloApp.WithoutTelemetryExport(builder);
            configure?.Invoke(builder);
            app = await builder.BuildAsync(timeout.Token);
        }
        catch
        {
            // A built app owns its builder (disposing the builder disposes the app); an unbuilt builder is ours to dispose.
            await builder.DisposeAsync();
            throw;
        }

        lock (_running)
        {
            _running.Add(app);
            _recordings[app] = AppRecording.Start(app, $"app {_recordings.Count + 1} ({string.Join(' ', args.Where(a => !a.StartsWith("--Parameters:", StringComparison.Ordinal)))})");
        }

        return (app, StartBoundedAsync(app, cancellationToken));
    }

    private static async Task StartBoundedAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        using var timeout = HelloApp.Timeout(HelloApp.StartTimeout, cancellationToken);
        await app.StartAsync(timeout.Token);
    }

    /// <summary>
    /// Starts the app, waits until the worker has ended, collects the worker's and postgres's logs, then stops the
    /// app and waits for its server to exit: the whole life of one run.
    /// </summary>
    public async Task<HelloRun> RunUntilWorkerEndsAsync(string[] args, CancellationToken cancellationToken)
    {
        var app = await StartAsync(args, cancellationToken);
        var worker = await app.WaitForWorkerToEndAsync(cancellationToken);
        var hasServer = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Any(r => r.Name == "postgres");
        // After a hello, the server's log is read once it holds the server's own start (a container's comes late).
        var serverLog = !hasServer ? "" : worker.ExitCode == 0
            ? await app.SettledLogsOfAsync("postgres", "database system is ready to accept connections", cancellationToken)
            : await app.LogsOfAsync("postgres", cancellationToken);
        var run = new HelloRun(worker, await app.LogsOfAsync("worker", cancellationToken), serverLog);
        await StopAsync(app, cancellationToken);
        return run;
    }

    /// <summary>
    /// Disposes the app, then waits until its postgres process has exited: it must not outlive the AppHost, unless
    /// it is a persistent one (<c>Postgres:Lifetime=persistent</c>), which <see cref="DisposeAsync"/> stops.
    /// </summary>
    public async Task StopAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        Forget(app);

        var persistent = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<LocalPostgresServerResource>().Any(s => s.Persistent);
        var pid = persistent ? null : ServerPid(app);
        await DisposeRecordingAsync(app);
        await app.DisposeAsync();
        if (pid is not null)
        {
            if (!await ServerProcesses.WaitForExitAsync(pid.Value, HelloApp.ServerExitTimeout, cancellationToken))
            {
                throw new InvalidOperationException($"The postgres server (process {pid}) outlived its AppHost by more than {HelloApp.ServerExitTimeout.TotalSeconds:0} s.");
            }
        }
    }

    private async Task DisposeRecordingAsync(DistributedApplication app)
    {
        AppRecording? recording;
        lock (_running)
        {
            _recordings.TryGetValue(app, out recording);
        }

        if (recording is not null)
        {
            await recording.DisposeAsync();
        }
    }

    private void Forget(DistributedApplication app)
    {
        lock (_running)
        {
            _running.Remove(app);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // First, while the apps still run: a failed test's output says what each app and its resources went through.
        await FailureReport.WriteIfFailedAsync();
        DistributedApplication[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        foreach (var app in running)
        {
            await StopAsync(app, CancellationToken.None);
        }

        // A persistent server, or one a test that failed half-way left running: stop it as pg_ctl stop -m fast would.
        if (HelloApp.PostmasterPid(Data.Path) is { } orphan && ServerProcesses.IsPostgresRunning(orphan))
        {
            Process.Start("kill", ["-INT", orphan.ToString(System.Globalization.CultureInfo.InvariantCulture)]).WaitForExit();
            await ServerProcesses.WaitForExitAsync(orphan, HelloApp.ServerExitTimeout, CancellationToken.None);
        }

        Data.Dispose();
        _secrets.Dispose();
        foreach (var directory in _ownedDirectories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The pid of this app's local server while DCP runs it (the dashboard's <c>executable.pid</c>); null for none.</summary>
    private static int? ServerPid(DistributedApplication app) =>
        app.ResourceNotifications.TryGetCurrentState("postgres", out var server)
        && server.Snapshot.State?.Text == KnownResourceStates.Running
        && server.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
            ? Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture)
            : null;
}

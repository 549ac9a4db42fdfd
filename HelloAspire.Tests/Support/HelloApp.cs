
namespace HelloAspire.Tests.Support;

/// <summary>The real AppHost's arguments for tests, and waits on it with named timeouts (<see cref="TestApps"/> starts it).</summary>
public static class HelloApp
{
    // Bounds for a hang, not timings: alone an app starts and its worker ends within seconds, but inside the suite, in
    // this machine's slow phases, a start has taken longer than a minute.
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    public static readonly TimeSpan WorkerTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan ServerExitTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Every test run's password unless a test chooses one. The generated one lives in the AppHost's user secrets,
    /// a single file that AppHosts running side by side rewrite at start-up: reading it while another writes it made
    /// a kept-data restart see a new password now and then.
    /// </summary>
    public const string TestPassword = "helloaspire-tests-only-password-0123";

    /// <summary>
    /// Arguments for local mode on the test's own data directory, without the Node.js client (it shares one
    /// node_modules folder; its own tests turn it on).
    /// </summary>
    public static string[] LocalMode(string dataDirectory, params string[] more) =>
        ["--Postgres:Mode=local", $"--Postgres:DataDirectory={dataDirectory}", "--NodeClient:Enabled=false", $"--Parameters:postgres-password={TestPassword}", .. more];

    /// <summary>Local mode with another known password (the tests that change it, or look for it).</summary>
    public static string[] LocalModeWithPassword(string dataDirectory, string password, params string[] more) =>
        LocalMode(dataDirectory, [$"--Parameters:postgres-password={password}", .. more]);

    /// <summary>
    /// The testing builder disables the dashboard but still points services at its OTLP port, where nothing
    /// listens: each service would then spend its exporter's whole timeout (10 s) retrying at shutdown.
    /// </summary>
    public static void WithoutTelemetryExport(IDistributedApplicationTestingBuilder builder)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT")));
        }
    }

    /// <summary>More databases on the local server, as an app would declare them with <c>AddDatabase</c>.</summary>
    public static Action<IDistributedApplicationTestingBuilder> WithDatabases(params string[] names) => builder =>
    {
        var server = builder.CreateResourceBuilder(builder.Resource<LocalPostgresServerResource>("postgres"));
        foreach (var name in names)
        {
            server.AddDatabase(name);
        }
    };

    /// <summary>The current state of each of <paramref name="resources"/>, as "name: state" lines (a failed assertion shows them all).</summary>
    public static string StatesOf(DistributedApplication app, params string[] resources) =>
        string.Join(Environment.NewLine, resources.Select(name =>
            $"{name}: {(app.ResourceNotifications.TryGetCurrentState(name, out var current) ? current.Snapshot.State?.Text : "no state")}"));

    /// <summary>
    /// What <see cref="StatesOf"/> gives for postgres, hello and the worker once kept data refused the password, in
    /// every mode: the server and its database failed to start; the worker waits for them (and goes on once fixed).
    /// </summary>
    public static string RefusedPasswordStates =>
        string.Join(Environment.NewLine, $"postgres: {KnownResourceStates.FailedToStart}", $"hello: {KnownResourceStates.FailedToStart}", $"worker: {KnownResourceStates.Waiting}");

    /// <summary>Waits until the worker has run and ended; returns its final snapshot (state, exit code).</summary>
    public static Task<CustomResourceSnapshot> WaitForWorkerToEndAsync(this DistributedApplication app, CancellationToken cancellationToken) =>
        app.WaitForRunOnceResourceToEndAsync("worker", cancellationToken);

    /// <summary>
    /// Waits until the worker, started again after <paramref name="previous"/>, has finished; returns that run's snapshot.
    /// A previous run that never started (it failed to start) has no start time: any finished run is a later one.
    /// </summary>
    public static async Task<CustomResourceSnapshot> WaitForWorkerToFinishAgainAsync(this DistributedApplication app, CustomResourceSnapshot previous, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(WorkerTimeout, cancellationToken);
        var again = await app.ResourceNotifications.WaitForResourceAsync(
            "worker",
            e => e.Snapshot.State?.Text == KnownResourceStates.Finished && (previous.StartTimeStamp is null || e.Snapshot.StartTimeStamp > previous.StartTimeStamp),
            timeout.Token);
        return again.Snapshot;
    }

    public static async Task<CustomResourceSnapshot> WaitForRunOnceResourceToEndAsync(this DistributedApplication app, string resourceName, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(WorkerTimeout, cancellationToken);
        var ended = await app.ResourceNotifications.WaitForResourceAsync(
            resourceName,
            e => e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state),
            timeout.Token);
        return ended.Snapshot;
    }

    /// <summary>
    /// The resource's log once it holds <paramref name="until"/> and has stopped growing, within
    /// <see cref="LogCatchUpTimeout"/>: DCP hands over a container's own output (each of its streams apart) later than
    /// the AppHost's lines about it.
    /// </summary>
    public static async Task<string> SettledLogsOfAsync(this DistributedApplication app, string resourceName, string until, CancellationToken cancellationToken)
    {
        using var bounded = Timeout(LogCatchUpTimeout, cancellationToken);
        var previous = "";
        while (true)
        {
            var log = await app.LogsOfAsync(resourceName, cancellationToken);
            if ((log.Contains(until, StringComparison.Ordinal) && log == previous) || bounded.IsCancellationRequested)
            {
                return log;
            }

            previous = log;
            await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None);
        }
    }

    public static readonly TimeSpan LogCatchUpTimeout = TimeSpan.FromSeconds(15);

    public static async Task<string> LogsOfAsync(this DistributedApplication app, string resourceName, CancellationToken cancellationToken)
    {
        var resource = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        var lines = new List<string>();
        await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource).WithCancellation(cancellationToken))
        {
            lines.AddRange(batch.Select(line => line.Content));
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The postmaster's pid while it runs (first line of postmaster.pid).</summary>
    public static int? PostmasterPid(string dataDirectory) =>
        PostmasterPidFile.ReadPid(Path.Combine(dataDirectory, "pgdata", "postmaster.pid"));

    /// <summary>
    /// A free port below the range the OS hands out for port 0 (and DCP for its random ports), for a test that must
    /// fix one: a port from that range can be taken by another test's AppHost between this pick and its use.
    /// </summary>
    public static int FreeFixedPort()
    {
        var ephemeralLow = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        while (true)
        {
            var port = Random.Shared.Next(10_000, Math.Max(10_001, ephemeralLow));
            try
            {
                using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Taken: another one.
            }
        }
    }

    /// <summary>A port nothing listens on right now (the OS picks it, then it is released).</summary>
    public static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A token that cancels after <paramref name="timeout"/>, or with <paramref name="cancellationToken"/>.</summary>
    public static CancellationTokenSource Timeout(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(timeout);
        return source;
    }
}

/// <summary>How one run ended: the worker's final snapshot and the two logs.</summary>
public sealed record HelloRun(CustomResourceSnapshot Worker, string WorkerLog, string PostgresLog);

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.Versioning;
using HelloAspire.Hosting.LocalPostgres.Cluster;
using HelloAspire.Hosting.LocalPostgres.Unix;
using HelloAspire.Seeding;
using HelloAspire.Hosting.PostgreSQL;

namespace HelloAspire.Hosting.LocalPostgres.Lifecycle;

/// <summary>
/// One start of a <see cref="LocalPostgresServerResource"/>. Before DCP launches the server: the data directory is
/// checked and, when new, initialized and seeded through a private <see cref="InitServer"/>, so every failure so far
/// fails the start itself. After DCP launched it: <see cref="Ready"/> completes once the server accepts connections
/// and the declared databases exist; the resource's health check waits on it.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class LocalPostgresStart(
    LocalPostgresServerResource server,
    LocalPostgresDataLock dataLock,
    ILogger resourceLog,
    ILogger appHostLog,
    ResourceNotificationService notifications,
    CancellationToken appStopping)
{
    /// <summary>What the dashboard shows of the local server, beside DCP's own properties.</summary>
    internal static class DashboardProperties
    {
        public const string DataDirectory = "Data directory";
        public const string Version = "PostgreSQL version";
        public const string Binaries = "Binaries";
        public const string NewDataThisStart = "New data this start";
        public static readonly string[] All = [DataDirectory, Version, Binaries, NewDataThisStart];
    }

    private static readonly TimeSpan s_leftoverStopTimeout = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _accepting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _serverExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    // The kept data's password verifier does not match the password: the server starts, and a login settles it.
    private bool _verifierMismatched;

    // What each seeded database's history held at this start (database name to script to SHA-256): the scripts the init
    // server applied to new data, or what psql read from kept data once the server was ready.
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _seedHistory = new(StringComparer.Ordinal);

    /// <summary>When this start began, before DCP launched its server.</summary>
    public DateTimeOffset StartedAt => _startedAt;

    public Task Ready => _ready.Task;

    /// <summary>Completes once the server accepts connections, before this start's own last checks (<see cref="Ready"/> follows them); never fails.</summary>
    public Task Accepting => _accepting.Task;

    /// <summary>The postmaster of this start, once it is ready.</summary>
    public int? ServerProcessId { get; private set; }

    /// <summary>The kept-running server this start adopts instead of starting one (a persistent server, started by an earlier run).</summary>
    public int? AdoptedServerProcessId { get; private set; }

    /// <summary>
    /// What the seed history of <paramref name="databaseName"/> held when this start made or readied the server, or
    /// null when it did not look (<see cref="SeedScriptsExtensions"/> then checks on a connection of its own).
    /// </summary>
    public IReadOnlyDictionary<string, string>? SeedHistoryAtStart(string databaseName) => _seedHistory.GetValueOrDefault(databaseName);

    /// <summary>True when this start made the data directory (initdb or the template's copy).</summary>
    public bool NewData { get; private set; }

    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Runs before DCP starts the server. A failure is reported on the resource's log and the AppHost's console, then fails the start.</summary>
    /// <param name="firstStart">The AppHost's first start of the server: also checks that a configured port is free (on a restart, DCP's proxy holds it).</param>
    /// <param name="cancellationToken">Stops the preparation (the AppHost is stopping).</param>
    public async Task PrepareAsync(bool firstStart, CancellationToken cancellationToken)
    {
        try
        {
            await PrepareDataDirectoryAsync(firstStart, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var error = new LocalPostgresException(
                $"Could not prepare the data directory '{server.Data.Root}': {ex.Message} " +
                $"Nothing was deleted. Fix: give the AppHost's user write access to it, or set {server.SettingNames.DataDirectory} to another directory.", ex);
            Report(error);
            throw error;
        }
        catch (Exception ex) when (ex is LocalPostgresException or RefusedPasswordException)
        {
            Report(ex);
            throw;
        }
    }

    /// <summary>DCP has launched the server: waits, in the background, until it is ready, then creates missing databases.</summary>
    public void WaitUntilReadyInBackground() => _ = CompleteStartAsync();

    /// <summary>
    /// A server process ended (stopped from the dashboard, crashed). Aspire can report the end of an earlier start's
    /// process after this start began: an end counts only for this start's process, known by its pid once ready,
    /// else by a start time no earlier than this start's (an adopted server's began in an earlier run).
    /// </summary>
    public void ServerEnded(int? processId, DateTime? processStartedAt)
    {
        var ours = (ServerProcessId ?? AdoptedServerProcessId) is { } known
            ? processId is null || processId == known
            : AdoptedServerProcessId is not null || processStartedAt is null || processStartedAt.Value.ToUniversalTime() >= StartedAt.UtcDateTime;
        if (ours)
        {
            _serverExited.TrySetResult();
        }
    }

    private async Task PrepareDataDirectoryAsync(bool firstStart, CancellationToken cancellationToken)
    {
        var data = server.Data;
        var account = server.Account;
        var names = server.SettingNames;
        account.EnsureTrusted(server.Installation, names.BinDirectory);
        account.EnsureCanTraverse(data.Root, names.DataDirectory);
        data.EnsureSocketPathFits();
        data.TakeOwnership(account);
        dataLock.Take();
        var state = data.Inspect();
        if (state == LocalPostgresDataState.Foreign)
        {
            throw new LocalPostgresException(
                $"'{data.PgData}' holds files that are not a PostgreSQL data directory, so the app will not touch them. " +
                "Fix: move them away, or reset the data (the dashboard's Reset data).");
        }

        await AdoptOrStopRunningServerAsync(state, firstStart, cancellationToken);
        if (firstStart && AdoptedServerProcessId is null)
        {
            EnsureConfiguredPortIsFree();
        }

        var password = await PasswordParameterValue.RequiredAsync(server.PasswordParameter, message => new LocalPostgresException(message), cancellationToken);

        switch (state)
        {
            case LocalPostgresDataState.Initialized:
                var version = data.ServerVersion();
                Log.UsingKeptData(resourceLog, data.PgData, version);
                account.EnsureOwns(data.PgData, names.DataDirectory);
                if (!PasswordVerifier.Matches(data.PasswordVerifierFile, password))
                {
                    // A kept-running server is never stopped by a refused start. Any other starts, and PostgreSQL itself
                    // has the last word (a stale verifier is written anew); a refusal is RefusedPasswordWatch's to report,
                    // as in container mode.
                    if (AdoptedServerProcessId is { } kept)
                    {
                        throw KeptServerRefusal(kept);
                    }

                    _verifierMismatched = true;
                }

                CreateSocketDirectory();
                return;
            case LocalPostgresDataState.HalfInitialized:
                Log.ReinitializingHalfInitializedData(resourceLog, data.PgData);
                await LocalPostgresDataDirectory.DeleteServerTreeAsync(account, data.PgData, resourceLog, cancellationToken);
                break;
        }

        // The template first, outside the data's own steps: a full disk of the template's folder is its own error.
        if (server.Template is { } template)
        {
            await template.MakeIfMissingAsync(resourceLog, cancellationToken);
        }

        CreateSocketDirectory();
        try
        {
            LocalPostgresDataDirectory.WriteNew(data.InitializingMarker, $"initdb started {DateTimeOffset.UtcNow:O}{Environment.NewLine}", UnixFileMode.UserRead | UnixFileMode.UserWrite);
            account.CreatePrivateDirectory(data.PgData, names.DataDirectory);
            var templatePassword = await InitializeAsync(password, cancellationToken);
            await SetUpNewDataAsync(password, templatePassword, cancellationToken);
            PasswordVerifier.Write(data.PasswordVerifierFile, password);
        }
        catch (Exception ex) when (ex.Message.Contains(NoSpace, StringComparison.Ordinal))
        {
            throw await DiskFullAsync(ex);
        }

        File.Delete(data.InitializingMarker);
        if (server.Durable)
        {
            // The marker's removal is what tells kept data from unfinished data: it must survive a crash too.
            DirectorySync.Sync(data.Root);
        }

        NewData = true;
    }

    /// <summary>
    /// The data's disk filled while the new data was made: the half-made data would hold the space the next start needs,
    /// so it goes; the marker stays (when it could be written), so that start begins again.
    /// </summary>
    private async Task<LocalPostgresException> DiskFullAsync(Exception full)
    {
        var data = server.Data;
        var cleanup = "The unfinished data was removed.";
        try
        {
            await LocalPostgresDataDirectory.DeleteServerTreeAsync(server.Account, data.PgData, resourceLog, CancellationToken.None);
        }
        catch (Exception ex) when (ex is LocalPostgresException or IOException or UnauthorizedAccessException)
        {
            cleanup = $"The unfinished data in '{data.PgData}' could not be removed ({ex.Message}); the next start removes it.";
        }

        return new LocalPostgresException(
            $"The disk of '{data.Root}' is full: making the new data stopped ({FirstLine(full.Message)}). {cleanup} " +
            $"Fix: free space there (df -h '{data.Root}'), or set {server.SettingNames.DataDirectory} to a disk with room, then start again.", full);
    }

    /// <summary>What a full disk makes every tool and .NET say (strerror(ENOSPC); the tools run with LC_ALL=C).</summary>
    private const string NoSpace = "No space left on device";

    private static string FirstLine(string message) =>
        message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(line => line.Contains(NoSpace, StringComparison.Ordinal)) ?? message;

    /// <summary>The server's private socket folder, the server account's: made when missing (a kept one stays as it is).</summary>
    private void CreateSocketDirectory()
    {
        if (!Directory.Exists(server.Data.SocketDirectory))
        {
            server.Account.CreatePrivateDirectory(server.Data.SocketDirectory, server.SettingNames.DataDirectory);
        }
    }

    /// <summary>
    /// A server already running on this data is adopted when it is a kept-running one that DCP will take over as it is
    /// (a persistent server with this run's binaries, arguments and port, on finished data); any other one of this
    /// app's is stopped first, so that DCP's start never meets a live postmaster.pid.
    /// </summary>
    private async Task AdoptOrStopRunningServerAsync(LocalPostgresDataState state, bool firstStart, CancellationToken cancellationToken)
    {
        if (server.Data.FindRunningServer(server.Account) is not { } running)
        {
            // No postmaster, but a killed one's children may still be on their way out.
            if (await server.Data.WaitForOrphanedServerProcessesAsync(server.Account, s_leftoverStopTimeout, cancellationToken) > 0)
            {
                Log.WaitedForOrphans(resourceLog, server.Data.PgData);
            }

            return;
        }

        var configuredPort = server.Annotations.OfType<EndpointAnnotation>().Single().Port;
        if (server.Persistent && running.IsPersistent && state == LocalPostgresDataState.Initialized
            && running.Port is { } runningPort
            && running.CommandLine.SequenceEqual([server.Installation.Postgres, .. server.ServerArguments(), "-p", runningPort.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            && (configuredPort is null || configuredPort == running.Port))
        {
            AdoptedServerProcessId = running.Pid;
            Log.AdoptingKeptServer(resourceLog, running.Pid, server.Data.PgData, server.SettingNames.PersistentLifetime);
            return;
        }

        await server.Data.StopLeftoverServerAsync(running, server.Account, s_leftoverStopTimeout, cancellationToken);
        if (running.IsPersistent)
        {
            Log.StoppedKeptServer(resourceLog, running.Pid, server.Persistent ? "its settings changed" : server.SettingNames.SessionLifetime);
        }
        else if (firstStart)
        {
            Log.StoppedLeftoverServer(resourceLog, running.Pid, server.Data.PgData);
        }
    }

    private void EnsureConfiguredPortIsFree()
    {
        if (server.Annotations.OfType<EndpointAnnotation>().Single().Port is not { } port)
        {
            return;
        }

        try
        {
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new LocalPostgresException(
                $"Port {port} on {Loopback.Address} is taken ({ex.Message}). Fix: set {server.SettingNames.Port} to a free port, or remove it to let Aspire choose one.", ex);
        }
    }

    /// <summary>
    /// A copy of the template cluster when there is one (made first if missing), else initdb; returns the template's
    /// password, which the copy has until <see cref="SetUpNewDataAsync"/> sets this data's own, or null after initdb.
    /// </summary>
    private async Task<string?> InitializeAsync(string password, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        if (server.Template is { } template)
        {
            var templatePassword = await template.CopyToAsync(server.Data.PgData, resourceLog, cancellationToken);
            Log.InitializedFromTemplate(resourceLog, server.Data.PgData, template.Root, stopwatch.ElapsedMilliseconds);
            return templatePassword;
        }

        await InitDb.RunAsync(server, server.Data.PgData, server.Data.InitDbPasswordFile, password, server.Durable, resourceLog, cancellationToken);
        Log.Initialized(resourceLog, server.Data.PgData, stopwatch.ElapsedMilliseconds);
        return null;
    }

    /// <summary>
    /// Through the private init server: this data's own password (on a template's copy), the declared databases (the
    /// first is POSTGRES_DB's equivalent). The seed scripts come once the server runs, on new and kept data alike
    /// (<see cref="SeedScriptsExtensions.WithSeedScripts"/>).
    /// </summary>
    private async Task SetUpNewDataAsync(string password, string? templatePassword, CancellationToken cancellationToken)
    {
        await using var initServer = await InitServer.StartAsync(server, templatePassword ?? password, resourceLog, StartupTimeout, cancellationToken);
        var target = initServer.Target;
        if (templatePassword is not null)
        {
            await Psql.SetPasswordAsync(server, target, password, resourceLog, cancellationToken);
            target = target with { Password = password };
        }

        await CreateDatabasesAsync(target, server.Databases.Values.DefaultIfEmpty(server.InitDatabaseName), cancellationToken);
        await SeedNewDataAsync(target, cancellationToken);
    }

    private async Task CompleteStartAsync()
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(appStopping);
            timeout.CancelAfter(StartupTimeout);
            var (pid, port, socketDirectory) = await PostmasterPidFile.WaitUntilReadyAsync(server.Data, server.Account, _startedAt, AdoptedServerProcessId, _serverExited.Task, timeout.Token);
            ServerProcessId = pid;
            _accepting.TrySetResult();
            // New data got its databases from the init server; kept data gets any declared since. A database with seed
            // scripts is read first, because a read of its seed history also shows that it exists: a start with nothing
            // new then runs one psql, not two, on the way to ready. Every other database is checked, and created when
            // missing; so is one whose read failed, and that check reports a refused password.
            if (!NewData)
            {
                var password = await server.PasswordParameter.GetValueAsync(timeout.Token) ?? "";
                var target = new PsqlTarget(socketDirectory, port, password, "postgres");
                await ReadSeedHistoryAsync(target, timeout.Token);
                await CreateDatabasesAsync(target, server.Databases.Values.Where(name => !_seedHistory.ContainsKey(name)), timeout.Token);
                await EnsurePasswordVerifierAsync(target, password, timeout.Token);
            }

            Log.Ready(resourceLog, server.Data.PgData, NewData);
            await notifications.PublishUpdateAsync(server, snapshot => snapshot with
            {
                Properties =
                [
                    .. snapshot.Properties.Where(p => !DashboardProperties.All.Contains(p.Name)),
                    new(DashboardProperties.DataDirectory, server.Data.Root),
                    new(DashboardProperties.Version, server.Data.ServerVersion()),
                    new(DashboardProperties.Binaries, server.Installation.BinDirectory),
                    new(DashboardProperties.NewDataThisStart, NewData),
                ],
            });
            _ready.TrySetResult();
        }
        catch (OperationCanceledException) when (!appStopping.IsCancellationRequested)
        {
            Report(new LocalPostgresException($"The postgres server was not ready within {StartupTimeout.TotalSeconds:0} s. Fix: see its log."));
        }
        catch (RefusedPasswordException) when (AdoptedServerProcessId is { } kept)
        {
            Report(KeptServerRefusal(kept));
        }
        catch (RefusedPasswordException ex)
        {
            // Not a failure of this start's own: the health check reports it, and RefusedPasswordWatch says what to do.
            _ready.TrySetException(ex);
        }
        catch (Exception ex) when (ex is LocalPostgresException or IOException)
        {
            Report(ex);
        }
        catch (OperationCanceledException ex)
        {
            _ready.TrySetCanceled(ex.CancellationToken);
        }
    }

    /// <summary>
    /// Kept data without a password verifier (made before there was one, or its verifier removed as untrusted) gets
    /// one once the server has accepted the password: never is a password trusted that the data has not accepted.
    /// </summary>
    private async Task EnsurePasswordVerifierAsync(PsqlTarget target, string password, CancellationToken cancellationToken)
    {
        if (File.Exists(server.Data.PasswordVerifierFile) && !_verifierMismatched)
        {
            return;
        }

        var result = await Psql.RunAsync(server, target, ["--quiet", "--output=/dev/null", "--command=SELECT 1"], resourceLog, cancellationToken);
        if (!result.Succeeded)
        {
            throw Psql.IsPasswordRejected(result)
                ? new RefusedPasswordException(LocalPostgresServerResource.UserName)
                : new LocalPostgresException($"The server does not accept connections: {result.Errors.Trim()}");
        }

        PasswordVerifier.Write(server.Data.PasswordVerifierFile, password);
    }

    /// <summary>
    /// New data gets its seed on the init server, which listens on its private socket only: nothing connects to new
    /// data before it is seeded. Each script runs through psql, as the server account, in one transaction with the row
    /// that records it (<see cref="SeedScripts"/>' table and hash), so the start after finds nothing to do; psql
    /// rather than a driver, which the AppHost would compile on a first start's critical path. A failure leaves the
    /// data unfinished, and the next start makes it afresh.
    /// </summary>
    private async Task SeedNewDataAsync(PsqlTarget target, CancellationToken cancellationToken)
    {
        foreach (var database in server.DatabaseResources)
        {
            if (database.Annotations.OfType<SeedScriptsAnnotation>().LastOrDefault() is not { } seed)
            {
                continue;
            }

            var applied = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var path in SeedScripts.Find(seed.Directory, seed.DirectorySetting))
            {
                var (name, script, sha256) = await SeedScripts.ReadAsync(path, cancellationToken);
                var result = await Psql.RunAsync(server, target with { Database = database.DatabaseName },
                [
                    "--quiet", "--single-transaction", $"--command={SeedScripts.CreateHistoryTable}", "--file=-",
                    $"--command=INSERT INTO {SeedScripts.HistoryTable} (script, sha256) VALUES ('{name.Replace("'", "''", StringComparison.Ordinal)}', '{sha256}');",
                ], resourceLog, cancellationToken, script);
                if (!result.Succeeded)
                {
                    throw new LocalPostgresException(
                        $"Seed script {name} failed on new data, and nothing of it was written (psql exit code {result.ExitCode}): {result.Errors.Trim()} " +
                        "Fix: correct the script and start again; the unfinished data is made afresh.");
                }

                Log.AppliedToNewData(resourceLog, name);
                applied[name] = sha256;
            }

            _seedHistory[database.DatabaseName] = applied;
        }
    }

    /// <summary>
    /// The seed history of kept data's seeded databases, read through psql on the socket as the server becomes ready: a
    /// start with nothing new to seed (most of them) then needs no connection of the AppHost's own to find that out.
    /// </summary>
    private async Task ReadSeedHistoryAsync(PsqlTarget target, CancellationToken cancellationToken)
    {
        foreach (var database in server.DatabaseResources.Where(d => d.Annotations.OfType<SeedScriptsAnnotation>().Any()))
        {
            if (await Psql.SeedHistoryAsync(server, target with { Database = database.DatabaseName }, cancellationToken) is { } history)
            {
                _seedHistory[database.DatabaseName] = history;
            }
        }
    }

    private async Task CreateDatabasesAsync(PsqlTarget target, IEnumerable<string> databaseNames, CancellationToken cancellationToken)
    {
        foreach (var databaseName in databaseNames)
        {
            await Psql.CreateDatabaseIfMissingAsync(server, target, databaseName, resourceLog, cancellationToken);
        }
    }

    /// <summary>Kept data that refuses the password, with a kept-running server on it, which is left as it is.</summary>
    private LocalPostgresException KeptServerRefusal(int keptProcessId)
    {
        var line = RefusedPasswordWatch.Line(server.Name, $"'{server.Data.PgData}'", server.PasswordParameter, $"the kept-running server (process {keptProcessId}) was left alone");
        return new LocalPostgresException(char.ToUpperInvariant(line[0]) + line[1..]);
    }

    private void Report(Exception error)
    {
        Log.StartFailed(resourceLog, error.Message);
        Log.ResourceStartFailed(appHostLog, server.Name, error.Message);
        _ready.TrySetException(error);
    }
}

using System.Diagnostics;
using System.Runtime.Versioning;
using Npgsql;

namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>
/// One start of a <see cref="LocalPostgresServerResource"/>: initdb before DCP launches the server when the data is new,
/// then, once the server is ready, the seed scripts and the declared databases. <see cref="Ready"/> completes when
/// the server accepts connections and its data is complete; the resource's health check waits on it.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class LocalPostgresStart(LocalPostgresServerResource server, ILogger resourceLog, CancellationToken appStopping)
{
    private static readonly TimeSpan s_pidFilePollInterval = TimeSpan.FromMilliseconds(20);

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(appStopping);
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private bool _needsSeed;

    public Task Ready => _ready.Task;

    /// <summary>True when this start ran the seed scripts (a new data directory).</summary>
    public bool Seeded { get; private set; }

    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Runs before DCP starts the server: validates the data directory and runs initdb when it is new.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var data = server.Data;
        var account = server.Account;
        account.EnsureCanTraverse(data.Root);

        switch (data.Inspect())
        {
            case LocalPostgresDataState.Initialized:
                var version = data.ServerVersion();
                Log.UsingKeptData(resourceLog, data.PgData, version);
                account.CreatePrivateDirectory(data.SocketDirectory);
                return;
            case LocalPostgresDataState.Foreign:
                throw new LocalPostgresException(
                    $"'{data.PgData}' holds files that are not a PostgreSQL data directory, so HelloAspire will not touch them. " +
                    "Fix: move them away, or set Postgres:DataDirectory to an empty or new directory.");
            case LocalPostgresDataState.HalfInitialized:
                Log.ReinitializingHalfInitializedData(resourceLog, data.PgData);
                Directory.Delete(data.PgData, recursive: true);
                break;
        }

        account.CreatePrivateDirectory(data.Root);
        account.CreatePrivateDirectory(data.SocketDirectory);
        await File.WriteAllTextAsync(data.InitializingMarker, $"initdb started {DateTimeOffset.UtcNow:O}{Environment.NewLine}", cancellationToken);
        account.CreatePrivateDirectory(data.PgData);
        await InitDbAsync(cancellationToken);
        _needsSeed = true;
    }

    private async Task InitDbAsync(CancellationToken cancellationToken)
    {
        var data = server.Data;
        var password = await server.PasswordParameter.GetValueAsync(cancellationToken)
            ?? throw new LocalPostgresException($"The password parameter '{server.PasswordParameter.Name}' has no value. Fix: set Parameters:{server.PasswordParameter.Name} in the AppHost's user secrets.");

        // The password reaches initdb through a 0600 file that only the server account can read, never through argv.
        await using (var pwfile = new FileStream(data.PasswordFile, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        await using (var writer = new StreamWriter(pwfile))
        {
            await writer.WriteLineAsync(password);
        }

        try
        {
            server.Account.GiveOwnership(data.PasswordFile);
            List<string> arguments =
            [
                $"--pgdata={data.PgData}",
                $"--username={LocalPostgresServerResource.UserName}",
                $"--pwfile={data.PasswordFile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            ];
            if (!server.Durable)
            {
                arguments.Add("--no-sync");
            }

            var (command, wrapped) = server.Account.Wrap(server.Installation.InitDb, arguments);
            var stopwatch = Stopwatch.StartNew();
            var result = await ToolProcess.RunAsync(command, wrapped, new Dictionary<string, string>(), resourceLog, cancellationToken);
            if (!result.Succeeded)
            {
                throw new LocalPostgresException($"initdb failed (exit code {result.ExitCode}) for '{data.PgData}': {result.StandardError} Fix: see the postgres resource's log; delete '{data.Root}' to start over.");
            }

            Log.Initialized(resourceLog, data.PgData, stopwatch.ElapsedMilliseconds);
        }
        finally
        {
            File.Delete(data.PasswordFile);
        }
    }

    /// <summary>Runs while DCP starts the server: waits until it is ready, then seeds and creates databases.</summary>
    public void BeginCompletingStart() => _ = CompleteStartAsync(_stop.Token);

    /// <summary>The server process ended (stopped from the dashboard, crashed): this start will not become ready.</summary>
    public void ServerExited()
    {
        _ready.TrySetException(new LocalPostgresException($"The postgres server exited before it was ready. Fix: see its log for the reason; start it again from the dashboard."));
        _stop.Cancel();
    }

    private async Task CompleteStartAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StartupTimeout);
            var (port, socketDirectory) = await WaitForReadyPidFileAsync(timeout.Token);
            var socketConnection = await SocketConnectionStringAsync(port, socketDirectory, cancellationToken);

            if (_needsSeed)
            {
                await CreateDatabaseIfMissingAsync(socketConnection, server.InitDatabaseName, cancellationToken);
                await new SeedScripts(server, resourceLog).RunAsync(socketConnection, cancellationToken);
                File.Delete(server.Data.InitializingMarker);
                Seeded = true;
            }

            foreach (var databaseName in server.Databases.Values)
            {
                await CreateDatabaseIfMissingAsync(socketConnection, databaseName, cancellationToken);
            }

            Log.Ready(resourceLog, server.Data.PgData, Seeded);
            _ready.TrySetResult();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Fail(new LocalPostgresException($"The postgres server was not ready within {StartupTimeout.TotalSeconds:0} s. Fix: see its log; a slow disk or a large seed may need more time."));
        }
        catch (Exception ex) when (ex is LocalPostgresException or NpgsqlException or IOException)
        {
            Fail(ex);
        }
        catch (OperationCanceledException ex)
        {
            _ready.TrySetCanceled(ex.CancellationToken);
        }
    }

    private void Fail(Exception error)
    {
        Log.StartFailed(resourceLog, error.Message);
        _ready.TrySetException(error);
    }

    /// <summary>
    /// postmaster.pid's eighth line turns to "ready" once the server accepts connections (what pg_ctl -w watches);
    /// its start time tells it from a stale file of an earlier run.
    /// </summary>
    private async Task<(int Port, string SocketDirectory)> WaitForReadyPidFileAsync(CancellationToken cancellationToken)
    {
        var pidFile = server.Data.PidFile;
        var notBefore = _startedAt.ToUnixTimeSeconds() - 1;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryReadPidFile(pidFile) is { Length: >= 8 } lines
                && long.TryParse(lines[2], out var startTime) && startTime >= notBefore
                && lines[7].Trim() == "ready"
                && int.TryParse(lines[3], out var port))
            {
                return (port, lines[4]);
            }

            await Task.Delay(s_pidFilePollInterval, cancellationToken);
        }
    }

    private static string[]? TryReadPidFile(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null; // not written yet, or being rewritten: the next poll sees it
        }
    }

    private async Task<string> SocketConnectionStringAsync(int port, string socketDirectory, CancellationToken cancellationToken) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = socketDirectory,
            Port = port,
            Username = LocalPostgresServerResource.UserName,
            Password = await server.PasswordParameter.GetValueAsync(cancellationToken),
            Database = "postgres",
            Pooling = false,
        }.ConnectionString;

    private async Task CreateDatabaseIfMissingAsync(string socketConnection, string databaseName, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(socketConnection);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = databaseName } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        var quoted = "\"" + databaseName.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
        Log.CreatedDatabase(resourceLog, databaseName);
    }
}

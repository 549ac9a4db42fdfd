using System.Diagnostics;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using HelloAspire.Hosting.LocalPostgres.Unix;

namespace HelloAspire.Hosting.LocalPostgres.Cluster;

/// <summary>
/// An initialized cluster kept as a template, so that initdb runs once per PostgreSQL installation and options
/// instead of once per new data directory. It is made with a throwaway password and the durable initdb, then moved
/// into place whole (a rename), so an interrupted making is never taken for a template. A new data directory starts
/// as a copy, made by the server account (<c>cp -a</c>: owner and modes exactly as initdb leaves them) and, for kept
/// data, synced to disk (<c>initdb --sync-only</c>) as initdb would; the first start then sets its own password on it
/// and seeds it under the same "unfinished" mark as after initdb.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class ClusterTemplate(string directory, LocalPostgresServerResource server)
{
    // Bumped when what a template holds changes, so that older ones are not used.
    private const string FormatVersion = "1";
    private static readonly TimeSpan s_lockWait = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan s_lockPoll = TimeSpan.FromMilliseconds(50);

    private string? _root;

    /// <summary>This installation's and options' template: <c>&lt;directory&gt;/&lt;key&gt;</c> (the key reads the binaries' files: once).</summary>
    public string Root => _root ??= Path.Combine(directory, Key());

    private string PgData => Path.Combine(Root, "pgdata");

    private string PasswordFile => Path.Combine(Root, "password");

    private bool IsComplete => File.Exists(Path.Combine(PgData, "PG_VERSION")) && File.Exists(PasswordFile);

    /// <summary>
    /// A cache, per user (<c>$XDG_CACHE_HOME</c>, else <c>~/.cache</c>), or <c>/var/cache</c> for root, whose home the
    /// server account cannot enter: deleting it costs one initdb.
    /// </summary>
    public static string DefaultDirectory() =>
        Path.Combine(
            Environment.IsPrivilegedProcess ? "/var/cache"
                : Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
            "aspire-local-postgres", "templates");

    /// <summary>Copies the template into <paramref name="pgData"/> (an empty directory the server account owns), making it first if missing; returns the copy's password.</summary>
    public async Task<string> CopyToAsync(string pgData, ILogger log, CancellationToken cancellationToken)
    {
        await MakeIfMissingAsync(log, cancellationToken);
        await server.Account.RunNewDataStepAsync("/bin/cp", ["-a", $"{PgData}/.", pgData], $"Copying the template cluster '{Root}' failed", log, cancellationToken);
        if (server.Durable)
        {
            await server.Account.RunNewDataStepAsync(server.Installation.InitDb, ["--sync-only", $"--pgdata={pgData}"], $"Syncing '{pgData}' to disk failed", log, cancellationToken);
        }

        return (await File.ReadAllTextAsync(PasswordFile, cancellationToken)).Trim();
    }

    /// <summary>Makes the template if it is missing: its own failures (its own disk, its own folder) are told apart from the copy's.</summary>
    public async Task MakeIfMissingAsync(ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureAsync(log, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LocalPostgresException(
                $"Could not make the template cluster in '{directory}': {ex.Message} Fix: give the AppHost's user write access to it, " +
                $"set {server.SettingNames.TemplateDirectory} to another directory, or {server.SettingNames.NoTemplate} to run initdb for each new data directory.", ex);
        }
    }

    private async Task EnsureAsync(ILogger log, CancellationToken cancellationToken)
    {
        if (IsComplete)
        {
            return;
        }

        const UnixFileMode searchable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(directory, searchable);
        server.Account.EnsureCanTraverse(Root, server.SettingNames.TemplateDirectory);
        // One AppHost makes it; the others (tests in parallel, a second clone) wait and use it.
        await using var creation = await LockAsync(Root + ".lock", cancellationToken);
        if (IsComplete)
        {
            return;
        }

        var stopwatch = Stopwatch.StartNew();
        var making = $"{Root}.making-{Environment.ProcessId}";
        await DeleteAsync(making, log, cancellationToken);
        await DeleteAsync(Root, log, cancellationToken); // an older, incomplete layout: made again

        Directory.CreateDirectory(making, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        try
        {
            await MakeAsync(making, log, cancellationToken);
        }
        catch
        {
            await DeleteAsync(making, log, CancellationToken.None); // never left half-made in the cache
            throw;
        }

        Directory.Move(making, Root);
        DirectorySync.Sync(directory);
        Log.TemplateCreated(log, Root, stopwatch.ElapsedMilliseconds);
    }

    private async Task MakeAsync(string making, ILogger log, CancellationToken cancellationToken)
    {
        var pgData = Path.Combine(making, "pgdata");
        server.Account.CreatePrivateDirectory(pgData, server.SettingNames.TemplateDirectory);
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        await InitDb.RunAsync(server, pgData, Path.Combine(making, "initdb.pwfile"), password, durable: true, log, cancellationToken);
        await using (var file = new FileStream(Path.Combine(making, "password"), new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes(password), cancellationToken);
            file.Flush(flushToDisk: true);
        }

        DirectorySync.Sync(making);
    }

    /// <summary>A template folder, if there: its cluster (the server account's) deleted by that account, the rest by the AppHost's user.</summary>
    private async Task DeleteAsync(string templateRoot, ILogger log, CancellationToken cancellationToken)
    {
        if (Directory.Exists(templateRoot))
        {
            await LocalPostgresDataDirectory.DeleteServerTreeAsync(server.Account, Path.Combine(templateRoot, "pgdata"), log, cancellationToken);
            Directory.Delete(templateRoot, recursive: true);
        }
    }

    /// <summary>Which template fits: the binaries (path, size, time: an upgrade makes a new one), the account, initdb's options.</summary>
    private string Key()
    {
        var installation = server.Installation;
        var fingerprint = string.Join('\n',
            FormatVersion,
            installation.BinDirectory,
            Describe(installation.Postgres),
            Describe(installation.InitDb),
            server.Account.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            string.Join(' ', InitDb.Options));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint)))[..16];
        return $"pg{MajorVersion(installation)}-{hash}";

        static string Describe(string file)
        {
            var info = new FileInfo(file);
            return $"{info.Length}:{info.LastWriteTimeUtc.Ticks}";
        }
    }

    /// <summary>Debian's layout names the major version (<c>/usr/lib/postgresql/15/bin</c>); elsewhere the key's hash is enough.</summary>
    private static string MajorVersion(PostgresInstallation installation) =>
        Path.GetFileName(Path.GetDirectoryName(installation.BinDirectory)) is { } parent && int.TryParse(parent, out _) ? parent : "";

    private static async Task<FileStream> LockAsync(string path, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + s_lockWait;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(s_lockPoll, cancellationToken); // another AppHost is making it
            }
        }
    }
}

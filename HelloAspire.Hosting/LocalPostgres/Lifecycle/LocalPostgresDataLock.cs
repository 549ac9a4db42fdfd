using System.Text.Json;
using HelloAspire.Hosting.LocalPostgres.Cluster;

namespace HelloAspire.Hosting.LocalPostgres.Lifecycle;

/// <summary>
/// An AppHost's hold on a data directory: an exclusive advisory lock on <c>apphost.lock</c>, taken before anything in
/// the directory is touched and held until the AppHost stops, so that a second AppHost on the same data fails at once.
/// Beside it, <c>apphost.json</c> names the holder (process id, dashboard URL): a locked file cannot be read.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class LocalPostgresDataLock(LocalPostgresDataDirectory data, LocalPostgresSettingNames settingNames, string? dashboardUrl = null) : IDisposable
{
    private FileStream? _lock;

    public bool IsHeld => _lock is not null;

    private string LockFile => Path.Combine(data.Root, "apphost.lock");

    private string HolderFile => Path.Combine(data.Root, "apphost.json");

    /// <summary>Takes the lock for this AppHost (once), or fails with who holds it and what to do.</summary>
    public void Take()
    {
        if (_lock is not null)
        {
            return;
        }

        _lock = TryTake(FileMode.OpenOrCreate) ?? throw InUse();
        LocalPostgresDataDirectory.WriteNew(HolderFile, JsonSerializer.Serialize(new Holder(Environment.ProcessId, dashboardUrl)),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>
    /// Fails at once, before the AppHost starts anything, when another AppHost holds the data. Only looks: a folder
    /// without a lock file is held by no one, and gets none from this check.
    /// </summary>
    public void EnsureFree()
    {
        if (!File.Exists(LockFile))
        {
            return;
        }

        try
        {
            using var probe = TryTake(FileMode.Open) ?? throw InUse();
        }
        catch (FileNotFoundException)
        {
            // Gone since the look: no one holds it.
        }
        catch (UnauthorizedAccessException)
        {
            // Not this check's to report: the start says what is wrong with the directory and how to fix it.
        }
    }

    public void Dispose()
    {
        if (_lock is null)
        {
            return;
        }

        File.Delete(HolderFile);
        _lock.Dispose();
        _lock = null;
    }

    private FileStream? TryTake(FileMode mode)
    {
        try
        {
            return new FileStream(LockFile, mode, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (mode != FileMode.Open || File.Exists(LockFile))
        {
            return null; // held: flock(LOCK_EX) failed
        }
    }

    private LocalPostgresException InUse()
    {
        var holder = ReadHolder();
        var who = holder is null
            ? "another AppHost"
            : $"process {holder.ProcessId}" + (holder.DashboardUrl is { } url ? $", dashboard {url}" : "");
        return new LocalPostgresException(
            $"{settingNames.AppName} is already running on the data in '{data.Root}' ({who}); nothing was touched. " +
            $"Fix: use the running one, or stop it (Ctrl+C in its terminal{(holder is null ? "" : $", or kill {holder.ProcessId}")}); " +
            $"to run a second one beside it, {settingNames.SecondAppHost}.");
    }

    private Holder? ReadHolder()
    {
        try
        {
            return JsonSerializer.Deserialize<Holder>(File.ReadAllText(HolderFile));
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null; // an AppHost from before apphost.json, or one that is just starting: say "another AppHost"
        }
    }

    private sealed record Holder(int ProcessId, string? DashboardUrl);
}

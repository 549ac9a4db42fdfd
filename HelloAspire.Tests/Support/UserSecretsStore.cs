using Microsoft.Extensions.Configuration.UserSecrets;

namespace HelloAspire.Tests.Support;

/// <summary>
/// A user-secrets store of a test's own (the AppHost's <c>ASPIRE_USER_SECRETS_ID</c>), deleted on dispose, and at the
/// latest when the suite ends (<see cref="SuiteCleanup"/>): a store whose AppHost was killed mid-test would otherwise
/// be left behind.
/// </summary>
public sealed class UserSecretsStore : IDisposable
{
    public const string ArgumentPrefix = "--ASPIRE_USER_SECRETS_ID=";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<UserSecretsStore, byte> s_undisposed = new();

    public UserSecretsStore() => s_undisposed.TryAdd(this, 0);

    public string Id { get; } = $"helloaspire-test-{Guid.NewGuid():N}";

    /// <summary>Deletes every store not disposed yet: their AppHosts have all ended once the suite has.</summary>
    public static void DisposeAll()
    {
        foreach (var store in s_undisposed.Keys)
        {
            store.Dispose();
        }
    }

    public string FilePath => PathHelper.GetSecretsPathFromSecretsId(Id);

    /// <summary>
    /// <paramref name="args"/> with a store of their own, unless they name one already (then <paramref name="store"/> is
    /// null). Never the developer's user secrets: Aspire keeps there the password it generates for a parameter that has
    /// none, and the developer's data was made with the one already there. Where none is there yet (a new machine), a
    /// test would otherwise write it.
    /// </summary>
    public static string[] Own(string[] args, out UserSecretsStore? store)
    {
        store = NamedIn(args) ? null : new UserSecretsStore();
        return store?.AddTo(args) ?? args;
    }

    /// <summary><paramref name="args"/> on this store, unless they name one already.</summary>
    public string[] AddTo(string[] args) => NamedIn(args) ? args : [Argument, .. args];

    private static bool NamedIn(string[] args) => args.Any(a => a.StartsWith(ArgumentPrefix, StringComparison.Ordinal));

    public string Argument => ArgumentPrefix + Id;

    public void Write(string key, string value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        File.WriteAllText(FilePath, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { [key] = value }));
    }

    public string Read() => File.ReadAllText(FilePath);

    public void Dispose()
    {
        s_undisposed.TryRemove(this, out _);
        var directory = Path.GetDirectoryName(FilePath)!;
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>What the whole suite leaves to its end: AppHost processes still running, the user-secrets stores still there.</summary>
public sealed class SuiteCleanup : IDisposable
{
    public void Dispose()
    {
        AppHostProcess.KillLeftovers();
        UserSecretsStore.DisposeAll();
    }
}

using Microsoft.Extensions.Configuration.UserSecrets;

namespace HelloAspire.Tests.Support;

/// <summary>A user-secrets store of a test's own (the AppHost's <c>ASPIRE_USER_SECRETS_ID</c>), deleted on dispose.</summary>
public sealed class UserSecretsStore : IDisposable
{
    public const string ArgumentPrefix = "--ASPIRE_USER_SECRETS_ID=";

    public string Id { get; } = $"helloaspire-test-{Guid.NewGuid():N}";

    public string FilePath => PathHelper.GetSecretsPathFromSecretsId(Id);

    public string Argument => ArgumentPrefix + Id;

    public void Write(string key, string value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        File.WriteAllText(FilePath, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { [key] = value }));
    }

    public string Read() => File.ReadAllText(FilePath);

    public void Dispose()
    {
        var directory = Path.GetDirectoryName(FilePath)!;
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

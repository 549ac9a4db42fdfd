using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;

namespace HelloAspire.Hosting.LocalPostgres.Cluster;

/// <summary>
/// A salted PBKDF2 hash of the password the data accepts, kept beside the data (0600). A start whose password does not
/// match it lets PostgreSQL decide with one login (a stale verifier is written anew; a refusal is RefusedPasswordWatch's
/// to report, as in container mode), and a kept-running server is refused before it is adopted, so a refused start never
/// stops it.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class PasswordVerifier
{
    private const int Iterations = 100_000;
    private const string Version = "pbkdf2-sha256";

    /// <summary>Written by the AppHost's user in its own folder, readable by it alone: the server never needs it.</summary>
    public static void Write(string path, string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Hash(password, salt);
        LocalPostgresDataDirectory.WriteNew(path, $"{Version}:{Iterations}:{Convert.ToBase64String(salt)}:{Convert.ToBase64String(hash)}\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>False when the file exists and <paramref name="password"/> does not match it; true otherwise (no file: nothing to check).</summary>
    public static bool Matches(string path, string password)
    {
        if (!File.Exists(path))
        {
            return true;
        }

        var parts = File.ReadAllText(path).Trim().Split(':');
        if (parts is not [Version, var iterations, var salt, var hash] || iterations != Iterations.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return true;
        }

        return CryptographicOperations.FixedTimeEquals(Hash(password, Convert.FromBase64String(salt)), Convert.FromBase64String(hash));
    }

    private static byte[] Hash(string password, byte[] salt) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
}

using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace HelloAspire.Hosting.LocalPostgres.Unix;

/// <summary>Makes a directory's entries durable (a file created in it or deleted from it), as fsync(2) on the directory does.</summary>
[UnsupportedOSPlatform("windows")]
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;

    public static void Sync(string directory)
    {
        var descriptor = open(directory, ReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"Could not open '{directory}' to sync it to disk (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (fsync(descriptor) != 0)
            {
                throw new IOException($"Could not sync '{directory}' to disk (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = close(descriptor);
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int descriptor);

    [LibraryImport("libc")]
    private static partial int close(int descriptor);
}

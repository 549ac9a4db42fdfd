using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using HelloAspire.Hosting.Processes;

namespace HelloAspire.Hosting.LocalPostgres.Unix;

/// <summary>Who owns a file, and what it is, as seen without following a symbolic link.</summary>
[UnsupportedOSPlatform("windows")]
internal sealed partial record FileOwner(uint UserId, bool IsSymbolicLink, bool IsDirectory)
{
    private static readonly TimeSpan s_statTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Null when <paramref name="path"/> does not exist (or cannot be looked at).</summary>
    public static FileOwner? Of(string path) => OperatingSystem.IsLinux() ? OfLinux(path) : OfOtherUnix(path);

    /// <summary>
    /// Linux's statx(2): .NET has no call for a file's owner, and statx's record is laid out the same on every
    /// architecture (unlike stat's).
    /// </summary>
    private static FileOwner? OfLinux(string path)
    {
        const int currentDirectory = -100; // AT_FDCWD
        const int noFollow = 0x100; // AT_SYMLINK_NOFOLLOW
        const uint typeAndOwner = 0x1 | 0x8; // STATX_TYPE | STATX_UID
        Span<byte> record = stackalloc byte[256];
        if (statx(currentDirectory, path, noFollow, typeAndOwner, ref MemoryMarshal.GetReference(record)) != 0)
        {
            // Not there, or not to be looked at: what follows (creating it, reading it) says what is wrong.
            return null;
        }

        var userId = BitConverter.ToUInt32(record[20..24]);
        var type = BitConverter.ToUInt16(record[28..30]) & 0xF000; // S_IFMT
        return new(userId, IsSymbolicLink: type == 0xA000, IsDirectory: type == 0x4000);
    }

    /// <summary>macOS: its own stat(1) answers, as stat(2)'s record differs there.</summary>
    private static FileOwner? OfOtherUnix(string path)
    {
        var result = ProcessRunner.Run(new ProcessStartInfo("/usr/bin/stat", ["-f", "%u %HT", "--", path]), s_statTimeout);
        if (!result.Succeeded || result.Output.Trim().Split(' ', 2) is not [var uid, var type] || !uint.TryParse(uid, out var userId))
        {
            return null;
        }

        return new(userId, type.Equals("symbolic link", StringComparison.OrdinalIgnoreCase), type.Equals("directory", StringComparison.OrdinalIgnoreCase));
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int directory, string path, int flags, uint mask, ref byte record);
}

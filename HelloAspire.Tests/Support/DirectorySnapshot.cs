using System.Diagnostics;

namespace HelloAspire.Tests.Support;

/// <summary>A folder's every entry as <c>find</c> sees it (name, mode, owner, group, size, change time, link target): equal snapshots mean nothing in it changed.</summary>
public static class DirectorySnapshot
{
    public static async Task<string> OfAsync(string path, CancellationToken cancellationToken)
    {
        var (exitCode, output, errors) = await BoundedProcess.RunAsync(
            new ProcessStartInfo("find", [path, "-printf", "%P mode=%m uid=%U gid=%G size=%s changed=%C@ link=%l\\n"]), HelloApp.StartTimeout, cancellationToken);
        Assert.True(exitCode == 0, $"find {path}: {errors}");
        return string.Join('\n', output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }
}

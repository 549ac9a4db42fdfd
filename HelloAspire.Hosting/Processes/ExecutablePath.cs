namespace HelloAspire.Hosting.Processes;

/// <summary>Where a program is found on the PATH, as a shell would find it.</summary>
internal static class ExecutablePath
{
    /// <summary>The first <paramref name="program"/> in the PATH's directories, or null.</summary>
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}

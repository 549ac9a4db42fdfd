using System.Reflection;

namespace HelloAspire.AppHost.Startup;

/// <summary>
/// The AppHost's own settings (appsettings.json: log levels, the console's format) apply however it is started.
/// <c>dotnet run</c> starts it in its project folder, where the host looks for them; the built program started from
/// anywhere else (a script, a test, a service) would run without them, with every log category at its default: one
/// of Aspire's, at Trace, prints each resource's connection string, password included.
/// </summary>
public static class AppHostSettings
{
    /// <summary>The arguments with the project folder as the content root first, so that a <c>--contentRoot</c> of the caller's still wins.</summary>
    public static string[] WithProjectFolderAsContentRoot(string[] args) =>
        typeof(AppHostSettings).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => string.Equals(a.Key, "AppHostProjectPath", StringComparison.OrdinalIgnoreCase))?.Value is { } projectFolder && Directory.Exists(projectFolder)
            ? [$"--contentRoot={projectFolder}", .. args]
            : args;
}

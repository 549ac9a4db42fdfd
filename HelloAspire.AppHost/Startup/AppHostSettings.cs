using System.Reflection;

namespace HelloAspire.AppHost.Startup;

/// <summary>
/// The AppHost's own settings apply however it is started, and its environment is the one its caller chose.
/// </summary>
public static class AppHostSettings
{
    /// <summary>
    /// The arguments, after two defaults that a caller's own <c>--contentRoot</c> or <c>--environment</c> still overrides:
    /// <list type="bullet">
    /// <item>the project folder as the content root: <c>dotnet run</c> starts the AppHost there, where the host looks
    /// for appsettings.json (log levels, the console's format); the built program started from anywhere else would
    /// run without them, with every category at its default, and one of Aspire's, at Trace, prints each resource's
    /// connection string, password included;</item>
    /// <item>Development, unless <c>DOTNET_ENVIRONMENT</c> (or Aspire's <c>ASPIRE_ENVIRONMENT</c>) names another: the
    /// launch profile no longer sets it, because its value would override the one azd passes from the azd
    /// environment (<c>azd env set DOTNET_ENVIRONMENT Managed</c>), which is how a deployment's database choice
    /// sticks to its azd environment (appsettings.Managed.json).</item>
    /// </list>
    /// </summary>
    public static string[] WithDefaults(string[] args)
    {
        List<string> defaults = [];
        if (typeof(AppHostSettings).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => string.Equals(a.Key, "AppHostProjectPath", StringComparison.OrdinalIgnoreCase))?.Value is { } projectFolder
            && Directory.Exists(projectFolder))
        {
            defaults.Add($"--contentRoot={projectFolder}");
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPIRE_ENVIRONMENT")))
        {
            defaults.Add($"--environment={Microsoft.Extensions.Hosting.Environments.Development}");
        }

        return [.. defaults, .. args];
    }
}

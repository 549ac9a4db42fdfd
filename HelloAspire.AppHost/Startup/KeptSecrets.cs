using System.Reflection;
using Microsoft.Extensions.Configuration.UserSecrets;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.AppHost.Startup;

/// <summary>
/// Aspire writes a password it generates to the AppHost's user secrets in every environment, but reads user secrets
/// only in Development (microsoft/aspire#7417). Started any other way (the built program run directly, a Production
/// environment), each run would generate a new password and write it over the one that kept data was made with,
/// which then no longer opens that data. So a run in any other environment reads the user secrets for what its
/// configuration does not set (appsettings, environment variables and the command line still win).
/// </summary>
public static class KeptSecrets
{
    // As Aspire does: a configured id (a second store of the same AppHost) wins over the project's own.
    private const string UserSecretsIdSetting = "ASPIRE_USER_SECRETS_ID";

    public static void ReadUserSecretsInEveryEnvironment(this IDistributedApplicationBuilder builder)
    {
        // Publishing and deploying never take a run's kept passwords.
        if (builder.Environment.IsDevelopment() || !builder.ExecutionContext.IsRunMode)
        {
            return;
        }

        var id = builder.Configuration[UserSecretsIdSetting] is { Length: > 0 } configured
            ? configured
            : typeof(KeptSecrets).Assembly.GetCustomAttribute<UserSecretsIdAttribute>()?.UserSecretsId;
        if (id is null)
        {
            return;
        }

        // Only what the configuration lacks: a source inserted among the others would reload them all, and some
        // (Aspire's own, from streams) can be read only once.
        var kept = new ConfigurationBuilder().AddJsonFile(PathHelper.GetSecretsPathFromSecretsId(id), optional: true, reloadOnChange: false).Build();
        builder.Configuration.AddInMemoryCollection(kept.AsEnumerable().Where(setting => setting.Value is not null && builder.Configuration[setting.Key] is null));
    }
}

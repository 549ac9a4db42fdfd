using System.Text.Json;
using System.Text.RegularExpressions;

namespace HelloAspire.Tests.Support;

/// <summary>The manifest read the way azd (Azure/azure-dev, cli/azd) reads it, for what azd would do with a value.</summary>
public static partial class AzdManifest
{
    /// <summary>
    /// Every environment value that carries a password (a secret parameter, or a connection string) must be one that
    /// azd deploys as a Container Apps secret; any other value is a plain setting, readable by anyone with Reader on
    /// the app. azd's rule, pkg/apphost/generate.go, buildEnvBlock (ae35809f4, lines 2009-2012), after it has resolved
    /// the value (a secret parameter.v0 becomes <c>{{ securedParameter "name" }}</c>):
    /// <code>
    /// strings.Contains(k, "ConnectionStrings__") || strings.Contains(value, ".connectionString}") ||
    /// strings.Contains(resolvedValue, "{{ securedParameter ") || strings.Contains(resolvedValue, "{{ secretOutput ")
    /// </code>
    /// A secret parameter reached through an annotated.string (Aspire 13's *_URI, filter: uri) resolves to
    /// <c>{{ uriEncode (securedParameter …) }}</c>, which the third test misses: plain text. So no annotated.string at all.
    /// </summary>
    public static void AssertEveryPasswordIsASecret(JsonDocument manifest)
    {
        var resources = manifest.RootElement.GetProperty("resources").EnumerateObject().ToList();
        Assert.DoesNotContain(resources, r => r.Value.GetProperty("type").GetString() == "annotated.string");
        var secretParameters = resources
            .Where(r => r.Value.GetProperty("type").GetString() == "parameter.v0"
                && r.Value.TryGetProperty("inputs", out var inputs) && inputs.EnumerateObject().Any(i => i.Value.TryGetProperty("secret", out var secret) && secret.GetBoolean()))
            .Select(r => r.Name)
            .ToHashSet();
        Assert.NotEmpty(secretParameters);

        foreach (var resource in resources.Where(r => r.Value.TryGetProperty("env", out _)))
        {
            foreach (var variable in resource.Value.GetProperty("env").EnumerateObject())
            {
                var value = variable.Value.GetString() ?? "";
                var references = Reference().Matches(value).Select(m => m.Groups["resource"].Value).ToList();
                var carriesAPassword = references.Any(secretParameters.Contains) || value.Contains(".connectionString}", StringComparison.Ordinal);
                // What azd's third test sees: a secret parameter.v0 referenced as {name.value} (or any property) resolves to {{ securedParameter "name" }}.
                var resolvesToSecuredParameter = references.Any(secretParameters.Contains);
                var azdMakesItASecret = variable.Name.Contains("ConnectionStrings__", StringComparison.Ordinal)
                    || value.Contains(".connectionString}", StringComparison.Ordinal)
                    || resolvesToSecuredParameter;
                Assert.True(!carriesAPassword || azdMakesItASecret,
                    $"{resource.Name}'s {variable.Name} = '{value}' carries a password, but azd would deploy it as a plain setting.");
            }
        }
    }

    // {resource.property…}: what azd's EvalString resolves.
    [GeneratedRegex(@"\{(?<resource>[^.{}]+)\.[^{}]+\}")]
    private static partial Regex Reference();
}

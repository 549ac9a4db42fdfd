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

    private static readonly TimeSpan s_publishTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The manifest azd reads, published by the built AppHost into <paramref name="folder"/>; its text, and what the AppHost printed.</summary>
    public static async Task<(string Manifest, string Console)> PublishAsync(string folder, string[] settings, CancellationToken cancellationToken)
    {
        var manifestPath = Path.Combine(folder, $"aspire-manifest-{Guid.NewGuid():N}.json");
        var appHost = typeof(HelloAspire.AppHost.Database.HelloDatabaseBuilderExtensions).Assembly.Location;
        var startInfo = new System.Diagnostics.ProcessStartInfo("dotnet", [appHost, "--publisher", "manifest", "--output-path", manifestPath, .. settings]);
        var (exitCode, output, errors) = await BoundedProcess.RunAsync(startInfo, s_publishTimeout, cancellationToken);

        Assert.True(exitCode == 0, $"publish failed ({exitCode}): {output}{errors}");
        return (await File.ReadAllTextAsync(manifestPath, cancellationToken), output + errors);
    }

    /// <summary>
    /// A resource's environment as azd renders it for its Container App, but for a rehearsal on this machine: each
    /// {resource.property} resolved as azd's evalBindingRef does (pkg/apphost/generate.go), a parameter to the value
    /// given, a connection string to its own expression, and a binding's host and port to where the rehearsal's
    /// server listens (azd: the Container App's name, "postgres", and its target port).
    /// </summary>
    public static Dictionary<string, string> Environment(JsonElement resources, string resource, IReadOnlyDictionary<string, string> parameters, string bindingHost, int bindingPort)
    {
        string Resolve(string value) => Reference().Replace(value, match =>
        {
            var name = match.Groups["resource"].Value;
            var path = match.Value[(name.Length + 2)..^1];
            var target = resources.GetProperty(name);
            return (target.GetProperty("type").GetString(), path) switch
            {
                ("parameter.v0", "value") => parameters.TryGetValue(name, out var given) ? given : throw new InvalidOperationException($"No value given for the parameter {name}."),
                (_, "connectionString") => Resolve(target.GetProperty("connectionString").GetString()!),
                (_, var binding) when binding.EndsWith(".host", StringComparison.Ordinal) => bindingHost,
                (_, var binding) when binding.EndsWith(".port", StringComparison.Ordinal) => bindingPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => throw new InvalidOperationException($"The rehearsal cannot resolve {match.Value}."),
            };
        });

        return resources.GetProperty(resource).GetProperty("env").EnumerateObject().ToDictionary(v => v.Name, v => Resolve(v.Value.GetString() ?? ""));
    }

    // {resource.property…}: what azd's EvalString resolves.
    [GeneratedRegex(@"\{(?<resource>[^.{}]+)\.[^{}]+\}")]
    private static partial Regex Reference();
}

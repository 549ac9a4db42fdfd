using System.Diagnostics;
using System.Text.Json;
using HelloAspire.AppHost.Database;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>What <c>azd</c> reads: the AppHost run as a user runs it, with <c>--publisher manifest</c>.</summary>
public sealed class ManifestTests : IDisposable
{
    private static readonly TimeSpan s_publishTimeout = TimeSpan.FromSeconds(60);
    private const string PasswordFromUserSecrets = "ThisMustNeverReachTheManifest42";

    private readonly TemporaryDirectory _output = new();

    [Fact]
    public async Task PublishingDeclaresContainerPostgresTheWorkersConnectionAndASecretPassword()
    {
        // Local mode and a known password in configuration: publishing must ignore the first and never write the second.
        var manifestText = await PublishAsync("--Postgres:Mode=local", $"--Parameters:postgres-password={PasswordFromUserSecrets}");
        using var manifest = JsonDocument.Parse(manifestText);
        var resources = manifest.RootElement.GetProperty("resources");

        var postgres = resources.GetProperty("postgres");
        Assert.Equal("container.v0", postgres.GetProperty("type").GetString());
        Assert.Equal($"docker.io/library/postgres:{HelloDatabaseBuilderExtensions.PostgresImageTag}", postgres.GetProperty("image").GetString());
        Assert.Equal("hello", postgres.GetProperty("env").GetProperty("POSTGRES_DB").GetString());
        Assert.Equal("{postgres-password.value}", postgres.GetProperty("env").GetProperty("POSTGRES_PASSWORD").GetString());
        Assert.Equal("/docker-entrypoint-initdb.d", postgres.GetProperty("bindMounts")[0].GetProperty("target").GetString());
        Assert.Equal("/var/lib/postgresql/data", postgres.GetProperty("volumes")[0].GetProperty("target").GetString());

        Assert.Equal("{postgres.connectionString};Database=hello", resources.GetProperty("hello").GetProperty("connectionString").GetString());
        var worker = resources.GetProperty("worker");
        Assert.Equal("project.v0", worker.GetProperty("type").GetString());
        Assert.Equal("{hello.connectionString}", worker.GetProperty("env").GetProperty("ConnectionStrings__hello").GetString());

        var password = resources.GetProperty("postgres-password").GetProperty("inputs").GetProperty("value");
        Assert.True(password.GetProperty("secret").GetBoolean());
        Assert.True(password.GetProperty("default").GetProperty("generate").GetProperty("minLength").GetInt32() >= 22);

        var nodeClient = resources.GetProperty("node-client");
        Assert.Equal("container.v1", nodeClient.GetProperty("type").GetString());
        Assert.EndsWith("Dockerfile", nodeClient.GetProperty("build").GetProperty("dockerfile").GetString());
        Assert.Equal("{postgres.bindings.tcp.host}", nodeClient.GetProperty("env").GetProperty("PGHOST").GetString());
        Assert.Equal("{postgres.bindings.tcp.port}", nodeClient.GetProperty("env").GetProperty("PGPORT").GetString());
        Assert.Equal("{postgres-password.value}", nodeClient.GetProperty("env").GetProperty("PGPASSWORD").GetString());
        Assert.Equal("hello", nodeClient.GetProperty("env").GetProperty("PGDATABASE").GetString());
        Assert.False(resources.TryGetProperty("node-client-install", out _), "npm ci is a run-mode step only");

        Assert.DoesNotContain(PasswordFromUserSecrets, manifestText);
        Assert.DoesNotContain("executable.v0", manifestText);
    }

    private async Task<string> PublishAsync(params string[] settings)
    {
        var manifestPath = _output.Combine("aspire-manifest.json");
        var appHost = typeof(HelloDatabaseBuilderExtensions).Assembly.Location;
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { appHost, "--publisher", "manifest", "--output-path", manifestPath }.Concat(settings))
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        using var timeout = HelloApp.Timeout(s_publishTimeout, TestContext.Current.CancellationToken);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.True(process.ExitCode == 0, $"publish failed ({process.ExitCode}): {await output}{await errors}");
        Assert.DoesNotContain(PasswordFromUserSecrets, await output + await errors);
        return await File.ReadAllTextAsync(manifestPath, TestContext.Current.CancellationToken);
    }

    public void Dispose() => _output.Dispose();
}

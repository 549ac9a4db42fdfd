using System.Text.Json;
using HelloAspire.AppHost.Database;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>What <c>azd</c> reads: the AppHost run as a user runs it, with <c>--publisher manifest</c>.</summary>
public sealed class ManifestTests : IDisposable
{
    private const string PasswordFromUserSecrets = "ThisMustNeverReachTheManifest42";

    private readonly TemporaryDirectory _output = new();

    [Fact]
    public async Task PublishingDeclaresContainerPostgresTheWorkersConnectionAndASecretPassword()
    {
        // Local mode and a known password in configuration: publishing must ignore the first and never write the second.
        var manifestText = await PublishAsync("--Postgres:Mode=local", $"--Parameters:postgres-password={PasswordFromUserSecrets}");
        using var manifest = JsonDocument.Parse(manifestText);
        var resources = manifest.RootElement.GetProperty("resources");

        // Built from postgres/Dockerfile with the seed as its context: the seed travels in the image, not in a bind mount.
        var postgres = resources.GetProperty("postgres");
        Assert.Equal("container.v1", postgres.GetProperty("type").GetString());
        var build = postgres.GetProperty("build");
        Assert.Equal(Path.Combine(RepositoryRoot, "postgres", "Dockerfile"), Path.GetFullPath(build.GetProperty("dockerfile").GetString()!, _output.Path));
        Assert.Equal(Path.Combine(RepositoryRoot, "seed"), Path.GetFullPath(build.GetProperty("context").GetString()!, _output.Path));
        Assert.Equal(HelloDatabaseBuilderExtensions.PostgresImageTag, build.GetProperty("args").GetProperty("POSTGRES_TAG").GetString());
        Assert.Equal("hello", postgres.GetProperty("env").GetProperty("POSTGRES_DB").GetString());
        Assert.Equal("{postgres-password.value}", postgres.GetProperty("env").GetProperty("POSTGRES_PASSWORD").GetString());
        // azd would back a volume with Azure Files, where initdb cannot chmod its directory (aspire#6671): none by default.
        Assert.False(postgres.TryGetProperty("volumes", out _), "the deployed database has no volume unless Postgres:PublishDataVolume=true");
        Assert.DoesNotContain("\"bindMounts\"", manifestText);

        Assert.Equal("{postgres.connectionString};Database=hello", resources.GetProperty("hello").GetProperty("connectionString").GetString());
        var worker = resources.GetProperty("worker");
        Assert.Equal("project.v0", worker.GetProperty("type").GetString());
        Assert.Equal("{hello.connectionString};Require Auth=ScramSHA256", worker.GetProperty("env").GetProperty("ConnectionStrings__hello").GetString());
        // A Container App is started again after every exit: deployed, both run-once clients stay up after their run.
        Assert.Equal("Stay", worker.GetProperty("env").GetProperty("Hello__AfterRun").GetString());

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
        Assert.Equal("Stay", nodeClient.GetProperty("env").GetProperty("Hello__AfterRun").GetString());
        Assert.False(resources.TryGetProperty("node-client-install", out _), "npm ci is a run-mode step only");

        Assert.DoesNotContain(PasswordFromUserSecrets, manifestText);
        Assert.DoesNotContain("executable.v0", manifestText);
        AzdManifest.AssertEveryPasswordIsASecret(manifest);
    }

    /// <summary>Postgres:PublishAs=managed: no PostgreSQL container at all; azd asks for the connection string; a one-shot step seeds.</summary>
    [Fact]
    public async Task PublishingForAManagedServerHasNoPostgresContainerAndSeedsWithAOneShotStep()
    {
        var manifestText = await PublishAsync("--Postgres:PublishAs=managed", "--ConnectionStrings:hello=Host=never-published;Password=NeverPublished");
        using var manifest = JsonDocument.Parse(manifestText);
        var resources = manifest.RootElement.GetProperty("resources");

        Assert.False(resources.TryGetProperty("postgres", out _), "a managed server means no PostgreSQL container");
        var hello = resources.GetProperty("hello");
        Assert.Equal("parameter.v0", hello.GetProperty("type").GetString());
        Assert.True(hello.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean(), "the connection string is a secret azd asks for");

        var seed = resources.GetProperty("seed");
        Assert.Equal("project.v0", seed.GetProperty("type").GetString());
        Assert.Equal("Seed", seed.GetProperty("env").GetProperty("Hello__Task").GetString());
        Assert.Equal("Stay", seed.GetProperty("env").GetProperty("Hello__AfterRun").GetString());
        foreach (var client in new[] { seed, resources.GetProperty("worker"), resources.GetProperty("node-client") })
        {
            Assert.Equal("{hello.connectionString}", client.GetProperty("env").GetProperty("ConnectionStrings__hello").GetString());
        }

        Assert.False(resources.GetProperty("node-client").GetProperty("env").TryGetProperty("PGPASSWORD", out _), "the client derives PG* from the connection string");
        Assert.DoesNotContain("NeverPublished", manifestText);
        Assert.DoesNotContain("\"bindMounts\"", manifestText);
        Assert.DoesNotContain("postgres:", manifestText);
        AzdManifest.AssertEveryPasswordIsASecret(manifest);
    }

    [Fact]
    public async Task AVolumeForTheDeployedDatabaseIsOnlyThereWhenAskedFor()
    {
        using var manifest = JsonDocument.Parse(await PublishAsync("--Postgres:PublishDataVolume=true"));

        var volume = Assert.Single(manifest.RootElement.GetProperty("resources").GetProperty("postgres").GetProperty("volumes").EnumerateArray());
        Assert.Equal("/var/lib/postgresql/data", volume.GetProperty("target").GetString());
    }

    /// <summary>One pinned tag: a patched 17.x (17.10 fixed eleven CVEs), never latest, and the Dockerfile's default agrees with the app model.</summary>
    [Fact]
    public void ThePostgresImageIsAPatchedSeventeenPinnedInOnePlace()
    {
        var tag = HelloDatabaseBuilderExtensions.PostgresImageTag;
        Assert.Matches(@"^17\.\d+$", tag);
        Assert.True(int.Parse(tag.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture) >= 10, $"postgres {tag} lacks the fixes of 17.10");

        var dockerfile = File.ReadAllLines(Path.Combine(RepositoryRoot, "postgres", "Dockerfile"));
        Assert.Contains($"ARG POSTGRES_TAG={tag}", dockerfile);
        Assert.Contains($"ARG POSTGRES_IMAGE={HelloDatabaseSettings.DefaultImage}", dockerfile);
        Assert.Contains("FROM ${POSTGRES_IMAGE}:${POSTGRES_TAG}", dockerfile);
        Assert.Contains("COPY . /docker-entrypoint-initdb.d/", dockerfile);
    }

    /// <summary>
    /// The deployed Node.js client runs on an LTS line still supported (nodejs.org's release schedule: even majors are
    /// LTS, each supported until April 30 of its third year): a build on an end-of-life line fails here first.
    /// </summary>
    [Fact]
    public void TheNodeClientsImageIsAnLtsLineStillSupported()
    {
        var endOfLife = new Dictionary<int, DateOnly>
        {
            [18] = new(2025, 4, 30),
            [20] = new(2026, 4, 30),
            [22] = new(2027, 4, 30),
            [24] = new(2028, 4, 30),
            [26] = new(2029, 4, 30),
        };
        var from = Assert.Single(File.ReadAllLines(Path.Combine(RepositoryRoot, "node-client", "Dockerfile")), line => line.StartsWith("FROM ", StringComparison.Ordinal));
        var match = System.Text.RegularExpressions.Regex.Match(from, @"^FROM node:(?<major>\d+)[.-]");
        Assert.True(match.Success, $"'{from}' does not name a node image by its major version");
        var major = int.Parse(match.Groups["major"].Value, System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(endOfLife.TryGetValue(major, out var end), $"Node.js {major} is not an LTS line this test knows; add its end of life (nodejs.org/en/about/previous-releases).");
        Assert.True(DateOnly.FromDateTime(DateTime.UtcNow) < end, $"Node.js {major} reached its end of life on {end:yyyy-MM-dd}. Fix: move node-client/Dockerfile to a supported LTS line.");
    }

    private static string RepositoryRoot => Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, ".."));

    private async Task<string> PublishAsync(params string[] settings)
    {
        var (manifest, console) = await AzdManifest.PublishAsync(_output.Path, settings, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(PasswordFromUserSecrets, console);
        return manifest;
    }

    public void Dispose() => _output.Dispose();
}

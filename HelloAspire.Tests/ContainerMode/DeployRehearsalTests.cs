using System.Text.Json;
using HelloAspire.AppHost.Database;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// A rehearsal of what <c>azd up</c> deploys, on this machine: the published manifest, each resource's environment
/// rendered the way azd renders it (parameters and secrets resolved; postgres:5432 mapped to where the rehearsal's
/// server listens: a loopback address of its own, on port 5432), the database built from postgres/Dockerfile (on the
/// stand-in image: no registry here), and the clients started before the database, as Container Apps starts them in
/// any order. Each must say hello within a bound, and stay up.
/// </summary>
[Collection(ContainerRuns.Name)]
public sealed class DeployRehearsalTests : IAsyncDisposable
{
    private static readonly TimeSpan s_helloTimeout = TimeSpan.FromSeconds(90);
    private readonly string _password = $"Rehearsal-{Guid.NewGuid():N}";
    private readonly string _image = $"localhost/helloaspire-test/postgres-deploy-{Guid.NewGuid():N}:{HelloDatabaseBuilderExtensions.PostgresImageTag}";
    private readonly TemporaryDirectory _output = new();
    private readonly List<ClientProcess> _clients = [];
    private string? _container;
    private bool _built;

    // A loopback address of the test's own (all of 127.0.0.0/8 is loopback on Linux), so the server can listen on
    // PostgreSQL's own port, 5432, as a connection string without a port expects, next to anything else.
    private readonly string _host = $"127.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(2, 255)}";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Postgres:PublishAs=container: the image carries the seed, the worker and the Node.js client say hello, started before it.</summary>
    [Fact]
    public async Task DeployedWithItsContainerTheClientsStartedFirstSayHelloAndStayUp()
    {
        await Containers.RequireAsync(Ct);
        await NodeClientRuns.EnsureInstalledAsync(Ct);
        var resources = await PublishAsync();
        var postgres = resources.GetProperty("postgres");
        var build = postgres.GetProperty("build");
        Assert.False(postgres.TryGetProperty("volumes", out _));

        // The clients first: they read again until the database is there.
        var worker = StartClient(ClientProcess.Start(Rehearsed(resources, "worker")));
        var nodeClient = StartClient(ClientProcess.StartNodeClient(Rehearsed(resources, "node-client")));
        // The manifest's paths are relative to its own folder, as azd reads them.
        await Containers.RunCheckedAsync(["build", "--quiet", "--file", Path.GetFullPath(build.GetProperty("dockerfile").GetString()!, _output.Path),
            "--build-arg", $"POSTGRES_IMAGE={Containers.Image}", "--build-arg", $"POSTGRES_TAG={build.GetProperty("args").GetProperty("POSTGRES_TAG").GetString()}",
            "--tag", _image, Path.GetFullPath(build.GetProperty("context").GetString()!, _output.Path)], Ct);
        _built = true;
        await StartServerAsync(_image, AzdManifest.Environment(resources, "postgres", Parameters, _host, 5432));

        await worker.WaitForOutputAsync("Hello world", s_helloTimeout, Ct);
        await nodeClient.WaitForOutputAsync("Hello world", s_helloTimeout, Ct);
        await worker.WaitForOutputAsync("staying up until stopped", s_helloTimeout, Ct);
        await nodeClient.WaitForOutputAsync("staying up until stopped", s_helloTimeout, Ct);

        Assert.False(worker.HasExited || nodeClient.HasExited, "a deployed client stays up after its hello");
        var mounts = await Containers.RunCheckedAsync(["container", "inspect", "--format", "{{range .Mounts}}{{.Type}} {{end}}", _container!], Ct);
        Assert.DoesNotContain("bind", mounts);
        Assert.Equal("01-hello.sql", await Containers.RunCheckedAsync(["exec", _container!, "ls", "/docker-entrypoint-initdb.d"], Ct));
    }

    /// <summary>
    /// Postgres:PublishAs=managed: a server the user provides, with only its database made (as Azure's flexible
    /// server is), and its connection string in the synonyms and defaults Npgsql takes (Server, User Name, PWD, DB, no
    /// port). The seed step applies seed/, and both clients say hello, all three started before the server.
    /// </summary>
    [Fact]
    public async Task DeployedWithAManagedServerTheSeedStepAndTheClientsStartedFirstSayHello()
    {
        await Containers.RequireAsync(Ct);
        await NodeClientRuns.EnsureInstalledAsync(Ct);
        var resources = await PublishAsync("--Postgres:PublishAs=managed");
        var connectionString = $"Server={_host};User Name=postgres;PWD={_password};DB=hello";

        var parameters = new Dictionary<string, string> { ["hello"] = connectionString };
        var seed = StartClient(ClientProcess.Start(Rehearsed(resources, "seed", parameters)));
        var worker = StartClient(ClientProcess.Start(Rehearsed(resources, "worker", parameters)));
        var nodeClient = StartClient(ClientProcess.StartNodeClient(Rehearsed(resources, "node-client", parameters)));
        await StartServerAsync(Containers.ImageReference, new Dictionary<string, string> { ["POSTGRES_PASSWORD"] = _password, ["POSTGRES_DB"] = "hello" });

        await seed.WaitForOutputAsync("Seed: applied 01-hello.sql", s_helloTimeout, Ct);
        await worker.WaitForOutputAsync("Hello world", s_helloTimeout, Ct);
        await nodeClient.WaitForOutputAsync("Hello world", s_helloTimeout, Ct);

        Assert.False(seed.HasExited || worker.HasExited || nodeClient.HasExited, "a deployed step or client stays up");
    }

    private Dictionary<string, string> Parameters => new() { ["postgres-password"] = _password };

    /// <summary>A resource's environment as azd renders it, pointed at the rehearsal's server; retries every second instead of every 30.</summary>
    private Dictionary<string, string?> Rehearsed(JsonElement resources, string resource, Dictionary<string, string>? parameters = null)
    {
        var environment = AzdManifest.Environment(resources, resource, parameters ?? Parameters, _host, 5432)
            .ToDictionary(variable => variable.Key, variable => (string?)variable.Value);
        Assert.Equal("Stay", environment["Hello__AfterRun"]);
        environment["Hello__RetryInterval"] = "00:00:01";
        environment["Hello__ConnectRetryBudget"] = "00:00:02";
        environment.Remove("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY");
        return environment;
    }

    private async Task<JsonElement> PublishAsync(params string[] settings)
    {
        var (manifest, _) = await AzdManifest.PublishAsync(_output.Path, settings, Ct);
        using var document = JsonDocument.Parse(manifest);
        return document.RootElement.GetProperty("resources").Clone();
    }

    private ClientProcess StartClient(ClientProcess client)
    {
        _clients.Add(client);
        return client;
    }

    /// <summary>
    /// The database, listening on the rehearsal's own address and port 5432. The password reaches podman through its
    /// environment (--env NAME takes the value from there), never its command line.
    /// </summary>
    private async Task StartServerAsync(string image, IReadOnlyDictionary<string, string> environment)
    {
        var run = new System.Diagnostics.ProcessStartInfo(Containers.Runtime) { ArgumentList = { "run", "--detach", "--publish", $"{_host}:5432:5432" } };
        foreach (var (name, value) in environment)
        {
            run.ArgumentList.Add("--env");
            run.ArgumentList.Add(name);
            run.Environment[name] = value;
        }

        run.ArgumentList.Add(image);
        var (exitCode, output, errors) = await BoundedProcess.RunAsync(run, Containers.CommandTimeout, Ct);
        Assert.True(exitCode == 0, $"the rehearsal's server did not start: {errors}");
        _container = output.Trim();
    }

    public async ValueTask DisposeAsync()
    {
        await FailureReport.WriteIfFailedAsync();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        if (_container is not null)
        {
            await Containers.RunAsync(["rm", "--force", "--volumes", _container], CancellationToken.None);
        }

        if (_built)
        {
            await Containers.RunAsync(["rmi", "--force", _image], CancellationToken.None);
        }

        _output.Dispose();
    }
}

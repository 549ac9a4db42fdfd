using HelloAspire.AppHost.Database;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// The image <c>Postgres:PublishAs=container</c> deploys (postgres/Dockerfile, the seed as its context), built and run
/// as azd would, but locally: the seed travels inside it, so a container with no mount at all says hello.
/// </summary>
public sealed class DeployImageTests : IAsyncDisposable
{
    private const string Password = "deploy-image-test-password-0123";
    private static readonly TimeSpan s_helloTimeout = TimeSpan.FromSeconds(60);

    private readonly string _tag = $"localhost/helloaspire-test/postgres-deploy-{Guid.NewGuid():N}:{HelloDatabaseBuilderExtensions.PostgresImageTag}";
    private string? _container;
    private bool _built;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string RepositoryRoot => Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, ".."));

    [Fact]
    public async Task TheDeployImageCarriesTheSeedAndTheDeployedWorkerSaysHelloWithNoMount()
    {
        await Containers.RequireAsync(Ct);

        await Containers.RunCheckedAsync(["build", "--quiet", "--file", Path.Combine(RepositoryRoot, "postgres", "Dockerfile"),
            "--build-arg", $"POSTGRES_IMAGE={Containers.Image}", "--tag", _tag, Path.Combine(RepositoryRoot, "seed")], Ct);
        _built = true;
        _container = await Containers.RunCheckedAsync(["run", "--detach", "--env", $"POSTGRES_PASSWORD={Password}", "--env", "POSTGRES_DB=hello",
            "--publish", "127.0.0.1::5432", _tag], Ct);
        var mounts = await Containers.RunCheckedAsync(["container", "inspect", "--format", "{{range .Mounts}}{{.Type}} {{end}}", _container], Ct);
        var port = int.Parse((await Containers.RunCheckedAsync(["port", _container, "5432"], Ct)).Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);

        // A deployed worker reads again until the server is up (the image seeds it first, on its socket only).
        using var worker = WorkerProcess.Start(DeployedWorkerTests.Deployed(port, Password), Ct);
        await worker.WaitForOutputAsync("Hello world", s_helloTimeout, Ct);
        worker.Terminate();
        await worker.WaitForExitAsync(s_helloTimeout, Ct);

        Assert.DoesNotContain("bind", mounts);
        var seed = await Containers.RunCheckedAsync(["exec", _container, "ls", "/docker-entrypoint-initdb.d"], Ct);
        Assert.Equal("01-hello.sql", seed);
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await Containers.RunAsync(["rm", "--force", "--volumes", _container], CancellationToken.None);
        }

        if (_built)
        {
            await Containers.RunAsync(["rmi", "--force", _tag], CancellationToken.None);
        }
    }
}

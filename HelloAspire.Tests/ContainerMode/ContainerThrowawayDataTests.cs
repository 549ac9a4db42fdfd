using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// A first start in container mode with throwaway data (<c>Postgres:TemporaryData=true</c>): the image seeds it and
/// both clients say hello; the data lives in RAM, so nothing stays in the runtime once the app stops. (A kept volume's
/// life: <see cref="ContainerKeptVolumeTests"/>.)
/// </summary>
[Collection(ContainerRuns.Name)]
public sealed class ContainerThrowawayDataTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly ContainerApp _container = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BothClientsSayHelloFromThrowawayDataThatLivesInRamAndLeavesNoVolumeBehind()
    {
        await Containers.RequireAsync(Ct);
        await NodeClientRuns.EnsureInstalledAsync(Ct);
        var app = await _apps.StartAsync(_container.Args("--Postgres:TemporaryData=true", "--NodeClient:Enabled=true"), Ct);
        var worker = await app.WaitForWorkerToEndAsync(Ct);
        var nodeClient = await app.WaitForRunOnceResourceToEndAsync("node-client", Ct);
        var workerLog = await app.LogsOfAsync("worker", Ct);
        var nodeClientLog = await app.LogsOfAsync("node-client", Ct);
        var postgresLog = await app.SettledLogsOfAsync("postgres", "Seed: applied 01-hello.sql.", Ct);
        var container = _container.ContainerOf(app);
        var mounts = await Containers.RunCheckedAsync(["container", "inspect", "--format", "{{range .Mounts}}{{.Type}} {{.Name}};{{end}}", container], Ct);
        var tmpfs = await Containers.RunCheckedAsync(["container", "inspect", "--format", "{{json .HostConfig.Tmpfs}}", container], Ct);
        var environment = await Containers.RunCheckedAsync(["container", "inspect", "--format", "{{json .Config.Env}}", container], Ct);
        var workerResource = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "worker");
        var given = new System.Data.Common.DbConnectionStringBuilder
        {
            ConnectionString = await ((IValueProvider)(await AppModel.EnvironmentAsync(workerResource))["ConnectionStrings__hello"]).GetValueAsync(Ct),
        };
        var password = await app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<PostgresServerResource>().Single().PasswordParameter.GetValueAsync(Ct);
        await _apps.StopAsync(app, Ct);
        // DCP removes the container as the app stops; `wait` returns once it is gone.
        await Containers.RunAsync(["wait", "--condition=removing", container], Ct);

        Assert.Contains("Seed: applied 01-hello.sql.", postgresLog);
        Assert.Equal(0, worker.ExitCode);
        Assert.Contains("Hello world", workerLog);
        Assert.Equal(0, nodeClient.ExitCode);
        Assert.Contains("Hello world", nodeClientLog);
        Assert.Equal("", mounts); // not even the image's anonymous volume
        // 127.0.0.1 itself (DCP's proxy listens there), and SCRAM insisted on: never a listener on [::1] instead.
        Assert.Equal("127.0.0.1", given["Host"]);
        Assert.Equal("ScramSHA256", given["Require Auth"]);
        // The container's configuration keeps its environment: the password is not in it, only where its file is.
        Assert.Contains("POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password", environment);
        Assert.DoesNotContain(password!, environment);
        Assert.Contains($"\"{PostgresContainerExtensions.DataPath}\"", tmpfs);
        Assert.False(await Containers.VolumeExistsAsync(_container.Volume, Ct));
        Assert.NotEqual(0, (await Containers.RunAsync(["container", "inspect", container], Ct)).ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        await _container.DisposeAsync();
    }
}

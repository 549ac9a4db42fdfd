using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// Container mode's psql command: psql inside the container (<c>podman exec -it</c>, as Aspire's WithRepl runs it),
/// on the hello database rather than WithRepl's <c>postgres</c>, the password passed by its name only: on no command line.
/// </summary>
[Collection(ContainerRuns.Name)]
public sealed class ContainerPsqlConsoleTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly ContainerApp _container = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ContainerModesPsqlCommandOpensPsqlInTheContainerOnHello()
    {
        await Containers.RequireAsync(Ct);
        var app = await _apps.StartAsync(_container.Args("--Postgres:TemporaryData=true"), Ct);
        await app.WaitForWorkerToEndAsync(Ct);

        using var watch = new CommandLineWatch();
        var screen = await PsqlConsoleSession.QueryHelloAsync(app, "postgres", "hello", Ct);
        var seen = await watch.StopAsync();

        Assert.Contains("Hello world", screen);
        Assert.DoesNotContain(HelloApp.TestPassword, screen);
        Assert.Contains(seen, line => line.Contains(" exec -it --env PGPASSWORD ", StringComparison.Ordinal) && line.Contains("psql --username postgres --dbname hello", StringComparison.Ordinal));
        Assert.DoesNotContain(seen, line => line.Contains(HelloApp.TestPassword, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await FailureReport.WriteIfFailedAsync();
        await _apps.DisposeAsync();
        await _container.DisposeAsync();
    }
}

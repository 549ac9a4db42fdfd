using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// Container mode's password reaches the server as a file the image reads, copied in by DCP: every program of a whole
/// run (the AppHost, DCP, podman and its helpers, the container's own) is seen in a trace, and none carries it on its
/// command line, where every local user can read it while the program runs.
/// </summary>
[Collection(ContainerRuns.Name)]
public sealed class ContainerPasswordTests : IAsyncDisposable
{
    private const string Password = "Container-Canary-Password-Must-Not-Leak-9";
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);
    private readonly ContainerApp _container = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NoProgramOfAContainerRunCarriesThePasswordOnItsCommandLine()
    {
        await Containers.RequireAsync(Ct);
        using var trace = new ExecTrace();

        var run = await AppHostProcess.RunToEndAsync(
            _container.Args("--Postgres:TemporaryData=true", "--RunOnce=true", $"--Parameters:postgres-password={Password}"), s_runTimeout, Ct, trace: trace);
        var programs = trace.CommandLines();

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}: {run.Errors}{string.Join(Environment.NewLine, run.Lines.TakeLast(30))}");
        Assert.Contains(run.Lines, line => line.EndsWith("HelloWorker[101] Hello world", StringComparison.Ordinal));
        var create = Assert.Single(programs, line => line.Contains("\"create\"", StringComparison.Ordinal) && line.Contains(Containers.ImageReference, StringComparison.Ordinal));
        Assert.Contains("POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password", create);
        Assert.DoesNotContain(programs, line => line.Contains(Password, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync() => await _container.DisposeAsync();
}

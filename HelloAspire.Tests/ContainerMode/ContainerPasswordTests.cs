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

    /// <summary>
    /// Kept data made with another password, under <c>--RunOnce=true</c> (a script, CI): the run ends with exit code 1
    /// and the one line that names the volume and both fixes, instead of waiting without end.
    /// </summary>
    [Fact]
    public async Task AChangedPasswordEndsARunOnceWithExitCodeOneAndItsLine()
    {
        await _container.RequireWithVolumeInRamAsync(Ct);

        var first = await AppHostProcess.RunToEndAsync(_container.Args("--RunOnce=true", $"--Parameters:postgres-password={Password}"), s_runTimeout, Ct);
        var changed = await AppHostProcess.RunToEndAsync(_container.Args("--RunOnce=true", "--Parameters:postgres-password=Another-Password-Than-The-Volumes-1"), s_runTimeout, Ct);

        Assert.True(first.ExitCode == 0, $"the first run failed ({first.ExitCode}): {first.Errors}{string.Join(Environment.NewLine, first.Lines.TakeLast(20))}");
        var failure = Assert.Single(AppHostProcess.Entries(changed.Lines), line => line.StartsWith("fail:", StringComparison.Ordinal));
        Assert.Contains($"is not the one the data in the volume '{_container.Volume}' was made with", failure);
        Assert.Contains("Fix: set Parameters:postgres-password back to the password the data was made with", failure);
        Assert.Equal(1, changed.ExitCode);
    }

    public async ValueTask DisposeAsync() => await _container.DisposeAsync();
}

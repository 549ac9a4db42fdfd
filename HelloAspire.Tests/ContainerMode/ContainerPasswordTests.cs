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

        var (run, programs) = await TracedRunAsync();

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}: {run.Errors}{string.Join(Environment.NewLine, run.Lines.TakeLast(30))}");
        Assert.Contains(run.Lines, line => line.EndsWith("HelloWorker[101] Hello world", StringComparison.Ordinal));
        var create = Assert.Single(programs, line => line.Contains("\"create\"", StringComparison.Ordinal) && line.Contains(Containers.ImageReference, StringComparison.Ordinal));
        Assert.Contains("POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password", create);
        Assert.DoesNotContain(programs, line => line.Contains(Password, StringComparison.Ordinal));
    }

    /// <summary>
    /// A run under the tracer, and the command lines it saw. A run the tracer itself held (see
    /// <see cref="TracerHeldException"/>) is said in the test's output, its containers are removed, and it runs once
    /// more: that is strace's fault, not the app's, and the second run must pass every assertion.
    /// </summary>
    private async Task<(AppHostRun Run, IReadOnlyList<string> Programs)> TracedRunAsync()
    {
        var containersBefore = await ContainerIdsAsync();
        for (var attempt = 1; ; attempt++)
        {
            using var trace = new ExecTrace();
            try
            {
                var run = await AppHostProcess.RunToEndAsync(
                    _container.Args("--Postgres:TemporaryData=true", "--RunOnce=true", $"--Parameters:postgres-password={Password}"), s_runTimeout, Ct, trace: trace);
                return (run, trace.CommandLines());
            }
            catch (TracerHeldException held)
            {
                // The container runs of this collection go one at a time, so the new containers are this run's.
                foreach (var container in (await ContainerIdsAsync()).Except(containersBefore))
                {
                    await Containers.RunAsync(["rm", "--force", "--volumes", container], CancellationToken.None);
                }

                if (attempt > 1)
                {
                    throw;
                }

                TestContext.Current.TestOutputHelper?.WriteLine($"The first traced run was held by strace and ended; it runs again. {held.Message}");
            }
        }
    }

    private static async Task<HashSet<string>> ContainerIdsAsync() =>
        [.. (await Containers.RunCheckedAsync(["ps", "--all", "--quiet", "--no-trunc"], Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

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

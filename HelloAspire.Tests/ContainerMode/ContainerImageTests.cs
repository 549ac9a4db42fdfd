using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// An image the runtime cannot get, with a runtime that runs: auto mode does not choose it (it takes local mode),
/// explicit container mode says so before anything starts, and a pull that fails anyway (a mirror that is up but
/// does not have the image) ends the run with one line. The lines name the image and the fixes.
/// </summary>
[Collection(ContainerRuns.Name)]
public sealed class ContainerImageTests : IAsyncDisposable
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(90);

    // .invalid never resolves (RFC 2606): a registry that cannot be reached, wherever the test runs.
    private const string UnreachableImage = "registry.invalid/library/postgres";

    private readonly TemporaryDirectory _data = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The choice with the real probes, as the user meets it: the AppHost's first line says why, and the run says hello.</summary>
    [Fact]
    public async Task AutoModeTakesLocalModeWhenTheRuntimeRunsButCannotGetTheImageAndSaysWhy()
    {
        await Containers.RequireAsync(Ct);
        var image = $"{UnreachableImage}:{AppHost.Database.HelloDatabaseBuilderExtensions.PostgresImageTag}";

        var run = await AppHostProcess.RunToEndAsync(
            [$"--Postgres:Image={UnreachableImage}", $"--Postgres:DataDirectory={_data.Path}", "--NodeClient:Enabled=false", "--RunOnce=true", $"--Parameters:postgres-password={HelloApp.TestPassword}"],
            s_runTimeout, Ct);

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}: {run.Errors}{string.Join(Environment.NewLine, run.Lines.TakeLast(20))}");
        Assert.Contains(run.Lines, line => line.Contains(
            $"PostgreSQL: Local mode, because {Containers.Runtime} is running, but {image} is not in {Containers.Runtime}'s image store and its registry registry.invalid cannot be reached (",
            StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.EndsWith("HelloWorker[101] Hello world", StringComparison.Ordinal));
    }

    /// <summary>
    /// Refused in Aspire's BeforeStartEvent, before DCP creates anything; what the console shows for it is
    /// <see cref="AppHost.Startup.StartupErrors.Describe"/>'s line (exit code 1: <see cref="DataGuardTests"/>).
    /// </summary>
    [Fact]
    public async Task ContainerModeWithAnImageTheRuntimeCannotGetStopsBeforeAnythingStartsWithOneLine()
    {
        await Containers.RequireAsync(Ct);
        await using var apps = new TestApps();
        await using var container = new ContainerApp();

        var refused = await Record.ExceptionAsync(() => apps.StartAsync(container.Args($"--Postgres:Image={UnreachableImage}"), Ct));

        var line = AppHost.Startup.StartupErrors.Describe(refused);
        Assert.True(line is not null, $"Expected an error the console shows as one line; got {refused}");
        Assert.StartsWith($"Postgres:Mode is container, but {UnreachableImage}:", line);
        Assert.Contains("Fix: set Postgres:Image", line);
        Assert.EndsWith("or use Postgres:Mode=local.", line);
        Assert.DoesNotContain('\n', line);
    }

    /// <summary>A mirror that is up but lacks the image (or a typo in its name): the runtime's "manifest unknown" in one line.</summary>
    [Fact]
    public async Task APullOfAnImageTheRegistryDoesNotHaveEndsTheRunWithOneLineThatNamesTheImageAndTheFixes()
    {
        await Containers.RequireAsync(Ct);
        await using var registry = new UnpullableRegistry();
        var image = $"{registry.Host}/library/postgres";

        var (exitCode, lines, errors) = await AppHostProcess.RunToEndAsync(
            ["--Postgres:Mode=container", $"--Postgres:Image={image}", "--Postgres:TemporaryData=true", "--NodeClient:Enabled=false", "--RunOnce=true"], s_runTimeout, Ct,
            new Dictionary<string, string> { ["CONTAINERS_REGISTRIES_CONF"] = registry.WriteRegistriesConf(_data.Path) });

        var failures = AppHostProcess.Entries(lines).Where(line => line.StartsWith("fail: HelloAspire", StringComparison.Ordinal)).ToList();
        Assert.True(exitCode == 1 && failures is [var failure]
            && failure.Contains($"{Containers.Runtime} could not start a container from {image}:", StringComparison.Ordinal)
            && failure.Contains("manifest unknown", StringComparison.Ordinal)
            && failure.Contains("Fix: ", StringComparison.Ordinal) && failure.Contains("Postgres:Image", StringComparison.Ordinal) && failure.Contains("Postgres:Mode=local", StringComparison.Ordinal),
            $"Expected exit code 1 and one error line with the runtime's error and the fixes; exit code {exitCode}, console:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}{Environment.NewLine}standard error: {errors}");
    }

    public async ValueTask DisposeAsync()
    {
        await FailureReport.WriteIfFailedAsync();
        _data.Dispose();
    }
}

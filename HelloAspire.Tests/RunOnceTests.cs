using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// <c>--RunOnce=true</c>, for scripts and CI: the AppHost prints the worker's output, then how it ended, then stops
/// everything and exits with the worker's exit code. (Only the worker here: the tests leave the Node.js client off.)
/// The setting's former name, <c>--ExitWithWorker=true</c>, still works, with a warning that names the new one.
/// </summary>
public sealed class RunOnceTests : IAsyncDisposable
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(90);

    private readonly TemporaryDirectory _data = new();
    private readonly TemporaryDirectory _seed = new();

    [Theory]
    [InlineData("RunOnce", null, 0, "Hello world")]
    [InlineData("ExitWithWorker", "CREATE TABLE hello (id integer PRIMARY KEY, message text NOT NULL);", 5, "Table 'hello' in database 'hello' has no rows")]
    public async Task TheAppHostEchoesTheWorkersLastLineThenExitsWithItsExitCode(string setting, string? seed, int exitCode, string lastLine)
    {
        var ct = TestContext.Current.CancellationToken;
        string[] args = [$"--{setting}=true"];
        if (seed is not null)
        {
            await File.WriteAllTextAsync(_seed.Combine("01-schema.sql"), seed, ct);
            args = [.. args, $"--Postgres:SeedDirectory={_seed.Path}"];
        }

        var (exitCodeSeen, lines, _) = await AppHostProcess.RunToEndAsync(HelloApp.LocalMode(_data.Path, args), s_runTimeout, ct);

        Assert.Equal(exitCode, exitCodeSeen);
        var echoed = FindLast(lines, line => line.Contains(lastLine, StringComparison.Ordinal));
        var ended = FindLast(lines, line => line.Contains($"worker ended: Finished, exit code {exitCode}.", StringComparison.Ordinal));
        Assert.True(echoed >= 0 && ended > echoed, $"Expected the worker's '{lastLine}' before its end on the console:{Environment.NewLine}{string.Join(Environment.NewLine, lines.TakeLast(20))}");
        Assert.Null(HelloApp.PostmasterPid(_data.Path));
        Assert.Equal(setting == "ExitWithWorker", lines.Any(line => line.Contains("--ExitWithWorker is now called --RunOnce; it still works", StringComparison.Ordinal)));
    }

    private static int FindLast(IReadOnlyList<string> lines, Predicate<string> match) =>
        lines.Select((line, index) => (line, index)).LastOrDefault(x => match(x.line), (line: "", index: -1)).index;

    public async ValueTask DisposeAsync()
    {
        await FailureReport.WriteIfFailedAsync();
        _data.Dispose();
        _seed.Dispose();
    }
}

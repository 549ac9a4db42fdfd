using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// Every program a whole local run starts, however briefly, seen in a trace (container mode's runtime commands:
/// <see cref="ContainerMode.ContainerPasswordTests"/>). With the Node.js client, so in its collection.
/// </summary>
[Collection(NodeClientRuns.Name)]
public sealed class LocalRunTraceTests : IAsyncDisposable
{
    private const string Password = "Traced-Canary-Password-Must-Not-Leak-3";
    // A traced run is slow: the tracer stops every thread of every program at each exec, and it ends only once the
    // orchestrator's last helper process has ended too (a fresh machine's run under the whole suite took 91 s).
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(150);
    private readonly TestApps _apps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Args(params string[] more) => HelloApp.LocalModeWithPassword(_apps.Data.Path, Password, more);

    /// <summary>
    /// Every program a whole local run starts, however briefly (initdb, psql setting the password on a template's copy,
    /// the seed, the health check, the server, the Node.js client), is seen in a trace: none carries the password.
    /// </summary>
    [Fact]
    public async Task NoProgramOfALocalRunCarriesThePasswordOnItsCommandLine()
    {
        using var trace = new ExecTrace();

        await NodeClientRuns.EnsureInstalledAsync(Ct);
        var run = await AppHostProcess.RunToEndAsync(Args("--RunOnce=true", "--NodeClient:Enabled=true"), s_runTimeout, Ct, trace: trace);
        var programs = trace.CommandLines();

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}: {run.Errors}{string.Join(Environment.NewLine, run.Lines.TakeLast(30))}");
        Assert.Contains(programs, line => line.Contains("/psql\"", StringComparison.Ordinal));
        Assert.Contains(programs, line => line.Contains("/initdb\"", StringComparison.Ordinal) || line.Contains("\"/bin/cp\"", StringComparison.Ordinal));
        Assert.Contains(programs, line => line.Contains("index.js", StringComparison.Ordinal));
        Assert.DoesNotContain(programs, line => line.Contains(Password, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync() => await _apps.DisposeAsync();
}

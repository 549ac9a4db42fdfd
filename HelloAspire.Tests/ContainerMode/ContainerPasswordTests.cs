using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// Container mode's password reaches the server as a file the image reads, copied in by DCP: every container runtime
/// command of a whole run (the AppHost's probes, DCP's create, start, inspect and remove) goes through a recording
/// <c>podman</c> (or <c>docker</c>) first on the PATH, and none carries it on its command line, where every local user can read it while
/// the program runs. (The programs podman starts, conmon and the OCI runtime, get the container's environment from
/// its config file, not from their command lines. A trace of every execve, as LocalRunTraceTests makes of local mode,
/// cannot keep up here: DCP polls podman many times a second, and each Go program's threads stop for the tracer.)
/// </summary>
[Collection(ContainerRuns.Name)]
public sealed class ContainerPasswordTests : IAsyncDisposable
{
    private const string Password = "Container-Canary-Password-Must-Not-Leak-9";
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);
    private readonly ContainerApp _container = new();
    private readonly TemporaryDirectory _recorder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NoContainerRuntimeCommandOfARunCarriesThePasswordOnItsCommandLine()
    {
        await Containers.RequireAsync(Ct);
        var log = _recorder.Combine("commands.log");
        var recorder = _recorder.Combine(Containers.Runtime);
        var runtime = HelloAspire.Hosting.Processes.ExecutablePath.Find(Containers.Runtime) ?? throw new InvalidOperationException($"{Containers.Runtime} is not on the PATH.");
        // One write per command, so that commands run at once do not interleave; an argument may hold line breaks,
        // so commands end with the record separator.
        await File.WriteAllTextAsync(recorder, $"#!/bin/sh\nprintf '%s\\036' \"$*\" >> '{log}'\nexec '{runtime}' \"$@\"\n", Ct);
        File.SetUnixFileMode(recorder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        var run = await AppHostProcess.RunToEndAsync(
            _container.Args("--Postgres:TemporaryData=true", "--RunOnce=true", $"--Parameters:postgres-password={Password}"), s_runTimeout, Ct,
            environment: new Dictionary<string, string> { ["PATH"] = $"{_recorder.Path}:{Environment.GetEnvironmentVariable("PATH")}" });
        var commands = File.Exists(log) ? (await File.ReadAllTextAsync(log, Ct)).Split('\u001e', StringSplitOptions.RemoveEmptyEntries) : [];

        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}: {run.Errors}{string.Join(Environment.NewLine, run.Lines.TakeLast(30))}");
        Assert.Contains(run.Lines, line => line.EndsWith("HelloWorker[101] Hello world", StringComparison.Ordinal));
        var creates = commands.Where(line => $" {line}".Contains(" create ", StringComparison.Ordinal) && line.Contains(Containers.Image, StringComparison.Ordinal)).ToList();
        Assert.True(creates is [var create] && create.Contains("POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password", StringComparison.Ordinal),
            $"Expected one recorded command that creates the container from {Containers.Image}, with POSTGRES_PASSWORD_FILE; recorded:{Environment.NewLine}{string.Join(Environment.NewLine, commands.Distinct())}");
        Assert.DoesNotContain(commands, line => line.Contains(Password, StringComparison.Ordinal));
    }

    /// <summary>
    /// Kept data made with another password, under <c>--RunOnce=true</c> (a script, CI): the run ends with exit code 1
    /// and the one line that names the volume and the three fixes, instead of waiting without end.
    /// </summary>
    [Fact]
    public async Task AChangedPasswordEndsARunOnceWithExitCodeOneAndItsLine()
    {
        await _container.RequireWithVolumeInRamAsync(Ct);

        var first = await AppHostProcess.RunToEndAsync(_container.Args("--RunOnce=true", $"--Parameters:postgres-password={Password}"), s_runTimeout, Ct);
        var changed = await AppHostProcess.RunToEndAsync(_container.Args("--RunOnce=true", "--Parameters:postgres-password=Another-Password-Than-The-Volumes-1"), s_runTimeout, Ct);

        Assert.True(first.ExitCode == 0, $"the first run failed ({first.ExitCode}): {first.Errors}{string.Join(Environment.NewLine, first.Lines.TakeLast(20))}");
        var failure = Assert.Single(AppHostProcess.Entries(changed.Lines), line => line.StartsWith("fail:", StringComparison.Ordinal));
        Assert.Contains($"the data in the volume '{_container.Volume}' was made with another password than Parameters:postgres-password holds now", failure);
        Assert.Contains("Fix: keep the data and give it this password (the dashboard's Use new password, or 'aspire resource postgres use-new-password'); or set Parameters:postgres-password back", failure);
        Assert.Equal(1, changed.ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _container.DisposeAsync();
        _recorder.Dispose();
    }
}

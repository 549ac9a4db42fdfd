namespace HelloAspire.Hosting.Tests;

/// <summary>The seeding step, run-once resources, the build-output launch and the Node.js script, on a bare builder.</summary>
public sealed class AppPartsTests : IDisposable
{
    private readonly Bare.Folder _folder = new();

    [Fact]
    public void ADatabaseItsAppHostSeedsGetsNoSeedingStep()
    {
        var builder = Bare.Builder();
        var hello = builder.AddLocalPostgres("postgres", new PostgresInstallation(_folder.Path), _folder.Combine("data")).AddDatabase("hello").WithSeedScripts(_folder.Path);

        Assert.Null(builder.AddSeedStep<SomeProject>("seed", hello, seedExternalServer: true));
    }

    [Fact]
    public void AServerTheAppDoesNotRunGetsASeedingStepOnlyWhenAskedAndItsClientsWaitForItToComplete()
    {
        var builder = Bare.Builder("--ConnectionStrings:hello=Host=db.example.com;Username=app;Password=secret;Database=hello");
        var hello = builder.AddExistingPostgresDatabase("hello");

        Assert.Null(builder.AddSeedStep<SomeProject>("seed", hello, seedExternalServer: false));
        var seed = builder.AddSeedStep<SomeProject>("seed", hello, seedExternalServer: true);
        var client = builder.AddExecutable("client", "client", _folder.Path).WaitForSeed(seed);

        Assert.NotNull(seed);
        Assert.Contains(seed.Resource.Annotations.OfType<WaitAnnotation>(), w => w.Resource == hello.Resource);
        var wait = Assert.Single(client.Resource.Annotations.OfType<WaitAnnotation>());
        Assert.Equal((seed.Resource, WaitType.WaitForCompletion), (wait.Resource, wait.WaitType));
    }

    [Fact]
    public void ARunOnceResourceIsMarkedWhenRunningAndLeftAsItIsWhenPublishing()
    {
        var running = Bare.Builder().AddExecutable("client", "client", _folder.Path).AsRunOnce(stopsTheAppHost: true);
        var published = Bare.PublishingBuilder(_folder.Path).AddExecutable("client", "client", _folder.Path).AsRunOnce(stopsTheAppHost: true);

        Assert.Equal(new RunOnce.RunOnceAnnotation(StopsTheAppHost: true), Assert.Single(running.Resource.Annotations.OfType<RunOnce.RunOnceAnnotation>()));
        Assert.Empty(published.Resource.Annotations.OfType<RunOnce.RunOnceAnnotation>());
    }

    [Theory]
    [InlineData("--ProjectLaunch:UseDotnetRun=true")]
    [InlineData("--DOTNET_WATCH=1")]
    public void AProjectKeepsDotnetRunWhenAskedOrUnderDotnetWatch(string setting)
    {
        var project = Bare.Builder(setting).AddProject<SomeProject>("worker").WithBuildOutputLaunch();

        Assert.Empty(project.Resource.Annotations.OfType<ExecutableAnnotation>());
    }

    [Fact]
    public void AnAppHostWithoutRecordedOutputsFindsNoProgram() =>
        Assert.Null(BuildOutputLaunchExtensions.FindBuiltProgram(typeof(AppPartsTests).Assembly, new SomeProject().ProjectPath));

    [Fact]
    public void ANodeScriptRunsNodeInItsFolderAfterNpmCiOnlyWhenItsModulesAreMissingOrOlderThanItsLockfile()
    {
        var builder = Bare.Builder();
        var fresh = builder.AddNodeScript("fresh", _folder.Path, "--require", "./first.js", "index.js");
        var installedAt = DateTime.UtcNow.AddMinutes(-1);
        Installed(_folder.Combine("installed"), lockedAt: installedAt.AddMinutes(-1), installedAt);
        Installed(_folder.Combine("stale"), lockedAt: installedAt.AddMinutes(1), installedAt);
        var installed = builder.AddNodeScript("installed", _folder.Combine("installed"), "index.js");
        builder.AddNodeScript("stale", _folder.Combine("stale"), "index.js");

        Assert.Equal(("node", _folder.Path), (fresh.Resource.Command, fresh.Resource.WorkingDirectory));
        var install = Assert.Single(builder.Resources.OfType<ExecutableResource>(), r => r.Name == "fresh-install");
        Assert.Equal("npm", install.Command);
        Assert.Contains(fresh.Resource.Annotations.OfType<WaitAnnotation>(), w => w.Resource == install && w.WaitType == WaitType.WaitForCompletion);
        Assert.DoesNotContain(builder.Resources, r => r.Name == "installed-install");
        Assert.Empty(installed.Resource.Annotations.OfType<WaitAnnotation>());
        Assert.Contains(builder.Resources, r => r.Name == "stale-install");
    }

    /// <summary>A folder as <c>npm ci</c> leaves it: its lockfile, and npm's record of the install in node_modules.</summary>
    private static void Installed(string directory, DateTime lockedAt, DateTime installedAt)
    {
        Directory.CreateDirectory(Path.Combine(directory, "node_modules"));
        var lockfile = Path.Combine(directory, "package-lock.json");
        var record = Path.Combine(directory, "node_modules", ".package-lock.json");
        File.WriteAllText(lockfile, "{}");
        File.WriteAllText(record, "{}");
        File.SetLastWriteTimeUtc(lockfile, lockedAt);
        File.SetLastWriteTimeUtc(record, installedAt);
    }

    [Fact]
    public void ANodeScriptWithoutAScriptIsRefused() =>
        Assert.Throws<ArgumentException>("arguments", () => Bare.Builder().AddNodeScript("client", _folder.Path));

    [Fact]
    public void TheOrchestratorWatchNeedsTheAppsFixAndWatchesOnlyARunningAppHostProcess()
    {
        var running = Bare.Builder();
        var publishing = Bare.PublishingBuilder(_folder.Path);

        Assert.Throws<ArgumentException>(() => running.StopWhenOrchestratorEnds(""));
        Assert.Throws<ArgumentNullException>(() => ((IDistributedApplicationBuilder)null!).StopWhenOrchestratorEnds("Fix: run it again."));
        Assert.Same(running, running.StopWhenOrchestratorEnds("Fix: run it again."));
        // A bare builder's AppHost is this test process, as an AppHost's is its own; publishing starts no orchestrator.
        Assert.True(OrchestratorWatch.WatchesThisProcess(running));
        Assert.False(OrchestratorWatch.WatchesThisProcess(publishing));
    }

    public void Dispose() => _folder.Dispose();
}

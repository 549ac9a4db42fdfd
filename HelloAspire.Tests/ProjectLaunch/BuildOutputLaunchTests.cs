using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ProjectLaunch;

/// <summary>
/// The worker starts from the program its build produced, unless a user or dotnet watch needs <c>dotnet run</c>.
/// A real run's path of the worker is checked by <see cref="EndToEndTests.WorkerLogsTheSeededHelloRow"/>.
/// </summary>
public sealed class BuildOutputLaunchTests
{
    private static readonly string[] s_noNodeClient = ["--NodeClient:Enabled=false"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WorkerStartsFromTheProgramItsBuildProduced()
    {
        await using var builder = await AppModel.CreateAsync(s_noNodeClient, Ct);

        var worker = builder.Resource<ProjectResource>("worker");
        var projectDirectory = Path.GetDirectoryName(worker.GetProjectMetadata().ProjectPath)!;
        var launch = Assert.Single(worker.Annotations.OfType<ExecutableAnnotation>());
        Assert.Equal(projectDirectory, launch.WorkingDirectory);
        Assert.Equal("HelloAspire.Worker", Path.GetFileName(launch.Command));
        Assert.StartsWith(Path.Combine(projectDirectory, "bin") + Path.DirectorySeparatorChar, launch.Command, StringComparison.Ordinal);
        Assert.True(File.Exists(launch.Command), $"{launch.Command} should exist after the build");
    }

    [Theory]
    [InlineData("--ProjectLaunch:UseDotnetRun=true")]
    [InlineData("--DOTNET_WATCH=1")]
    public async Task WorkerKeepsDotnetRunWhenAskedOrUnderDotnetWatch(string setting)
    {
        await using var builder = await AppModel.CreateAsync([setting, .. s_noNodeClient], Ct);

        Assert.Empty(builder.Resource<ProjectResource>("worker").Annotations.OfType<ExecutableAnnotation>());
    }

    [Fact]
    public void AnAppHostWithoutRecordedOutputsFindsNoProgram()
    {
        Assert.Null(BuildOutputLaunchExtensions.FindBuiltProgram(typeof(BuildOutputLaunchTests).Assembly, "/src/Other/Other.csproj"));
        Assert.Null(BuildOutputLaunchExtensions.FindBuiltProgram(appHostAssembly: null, "/src/Other/Other.csproj"));
    }
}

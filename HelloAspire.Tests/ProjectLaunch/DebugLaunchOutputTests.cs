using System.Diagnostics;
using System.Reflection;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ProjectLaunch;

/// <summary>
/// The README's <c>dotnet run</c> builds Debug, and its worker starts from <c>bin/Debug/net10.0/launch/</c>: the
/// packages' assemblies precompiled, the project's own as the Debug build made them, with their symbols, for a
/// debugger (Directory.Build.targets). test.sh builds the AppHost in Debug, as that command does.
/// </summary>
public sealed class DebugLaunchOutputTests : IDisposable
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    private static readonly string s_repository = Path.GetFullPath(Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, ".."));

    private static readonly string s_debugAppHost = Path.Combine(Projects.HelloAspire_AppHost.ProjectPath, "bin", "Debug", "net10.0", "HelloAspire.AppHost.dll");

    private static readonly string s_workerOutput = Path.Combine(s_repository, "HelloAspire.Worker", "bin", "Debug", "net10.0");

    // The project's own assemblies, which the worker's launch folder must hold exactly as the Debug build made them.
    private static readonly string[] s_ownAssemblies = ["HelloAspire.Worker", "HelloAspire.ServiceDefaults", "HelloAspire.Seeding"];

    private readonly TemporaryDirectory _data = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void TheDebugWorkerStartsFromItsLaunchFolderWithItsOwnCodeAsBuiltAndItsPackagesPrecompiled()
    {
        Assert.True(File.Exists(s_debugAppHost), $"{s_debugAppHost} is missing. Fix: dotnet build HelloAspire.AppHost -c Debug (test.sh does).");
        var launch = Path.Combine(s_workerOutput, "launch");
        var context = new AssemblyLoadContext("debug-apphost", isCollectible: true);
        try
        {
            var program = BuildOutputLaunchExtensions.FindBuiltProgram(context.LoadFromAssemblyPath(s_debugAppHost), Path.Combine(s_repository, "HelloAspire.Worker", "HelloAspire.Worker.csproj"));
            Assert.Equal(Path.Combine(launch, "HelloAspire.Worker"), program);
        }
        finally
        {
            context.Unload();
        }

        foreach (var file in s_ownAssemblies.SelectMany(name => new[] { name + ".dll", name + ".pdb" }))
        {
            var built = File.ReadAllBytes(Path.Combine(s_workerOutput, file));
            Assert.True(built.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(launch, file))), $"launch/{file} should be the Debug build's own {file}");
        }

        foreach (var name in s_ownAssemblies)
        {
            Assert.False(IsReadyToRun(Path.Combine(launch, name + ".dll")), $"launch/{name}.dll must stay IL for the JIT and a debugger");
            Assert.True(JitOptimizerDisabled(Path.Combine(launch, name + ".dll")), $"launch/{name}.dll should be Debug code, the JIT's optimizer off");
        }

        Assert.True(IsReadyToRun(Path.Combine(launch, "Npgsql.dll")), "launch/Npgsql.dll should be precompiled (ReadyToRun)");
        Assert.False(IsReadyToRun(Path.Combine(s_workerOutput, "Npgsql.dll")), "bin/Debug's own Npgsql.dll should stay the package's");
    }

    [Fact]
    public async Task TheDebugBuildSaysHelloFromItsLaunchFolder()
    {
        var run = await AppHostProcess.RunToEndAsync(HelloApp.LocalMode(_data.Path, "--RunOnce=true"), s_runTimeout, Ct, appHostAssembly: s_debugAppHost);

        var console = $"The console was:{Environment.NewLine}{string.Join(Environment.NewLine, run.Lines)}{Environment.NewLine}{run.Errors}";
        Assert.True(run.ExitCode == 0, $"The Debug AppHost exited with {run.ExitCode}. {console}");
        Assert.Contains(run.Lines, line => line.EndsWith("HelloAspire.Worker.HelloWorker[101] Hello world", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Lines, line => line.Contains("starts with dotnet run, because", StringComparison.Ordinal));
    }

    public void Dispose() => _data.Dispose();

    /// <summary>A ReadyToRun image carries a managed native header; an IL-only assembly has none.</summary>
    private static bool IsReadyToRun(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        return pe.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }

    /// <summary>Whether the assembly's DebuggableAttribute turns the JIT's optimizer off, as a Debug build's does.</summary>
    private static bool JitOptimizerDisabled(string path)
    {
        var context = new AssemblyLoadContext("debuggable", isCollectible: true);
        try
        {
            return context.LoadFromAssemblyPath(path).GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true;
        }
        finally
        {
            context.Unload();
        }
    }
}

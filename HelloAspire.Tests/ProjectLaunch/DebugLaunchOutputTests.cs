using System.Diagnostics;
using System.Reflection;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Text.Json;
using System.Text.RegularExpressions;
using HelloAspire.Hosting.Processes;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ProjectLaunch;

/// <summary>
/// The README's <c>dotnet run</c> builds Debug, and its worker starts from <c>bin/Debug/net10.0/launch/</c>: the
/// packages' assemblies precompiled, the project's own as the Debug build made them, with their symbols, for a
/// debugger (Directory.Build.targets), which lldb and SOS stop at a breakpoint here. test.sh builds the AppHost in
/// Debug, as that command does, and installs lldb.
/// </summary>
public sealed class DebugLaunchOutputTests : IDisposable
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    // lldb starting the worker, SOS loading and the worker reaching the breakpoint, on a busy machine.
    private static readonly TimeSpan s_debuggerTimeout = TimeSpan.FromSeconds(120);

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

    [Fact]
    public async Task ADebuggerStopsAtABreakpointInTheDebugWorkersOwnCode()
    {
        var lldb = ExecutablePath.Find("lldb");
        Assert.True(lldb is not null, "lldb is not on the PATH. Fix: run ./test.sh, which installs it (Debian: apt-get install lldb).");
        var sos = SosPlugin();

        var startInfo = new ProcessStartInfo(lldb);
        foreach (var argument in (string[])["--batch",
            "-o", $"plugin load {sos}",
            // Stopped once the runtime is up, SOS can watch for the method's compilation.
            "-o", "breakpoint set --name coreclr_execute_assembly", "-o", "process launch",
            "-o", "bpmd HelloAspire.Worker.dll HelloAspire.Worker.HelloWorker.get_What", "-o", "process continue",
            "-o", "clrstack", "-o", "process kill",
            "--", Path.Combine(s_workerOutput, "launch", "HelloAspire.Worker")])
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Nothing listens on the port: the worker, as deployed, fails to read and tries again, through its own code,
        // until the debugger stops it there.
        foreach (var (name, value) in DeployedWorkerTests.Deployed(HelloApp.FreePort()))
        {
            startInfo.Environment[name] = value;
        }

        // SOS writes its breakpoints into code the JIT compiled, which .NET maps write-xor-execute unless told not to:
        // SOS's own instructions for lldb.
        startInfo.Environment["DOTNET_EnableWriteXorExecute"] = "0";

        (int ExitCode, string Output, string Errors) run;
        try
        {
            run = await BoundedProcess.RunAsync(startInfo, s_debuggerTimeout, Ct);
        }
        catch (TimeoutException ex)
        {
            Assert.Fail($"The worker never stopped at the breakpoint: {ex.Message}");
            throw;
        }

        // clrstack's first frame is where the worker stopped: its own property, called from its own loop.
        var transcript = $"lldb exited with {run.ExitCode}. Its output:{Environment.NewLine}{run.Output}{Environment.NewLine}{run.Errors}";
        var stack = Regex.Match(run.Output, @"\(lldb\) clrstack\s+OS Thread Id:[^\n]*\n\s*Child SP\s+IP\s+Call Site\s*\n\s*\S+\s+\S+\s+(?<frame>[^\n]+)(?<rest>(?:\n[^(][^\n]*)*)");
        Assert.True(stack.Success, $"lldb printed no managed stack: the worker never stopped at the breakpoint. {transcript}");
        Assert.True(stack.Groups["frame"].Value.StartsWith("HelloAspire.Worker.HelloWorker.get_What()", StringComparison.Ordinal),
            $"The worker should have stopped in HelloWorker.What, not in {stack.Groups["frame"].Value}. {transcript}");
        Assert.True(stack.Groups["rest"].Value.Contains("HelloAspire.Worker.HelloWorker+<ExecuteAsync>", StringComparison.Ordinal),
            $"HelloWorker.ExecuteAsync's loop should be on the stack below the breakpoint. {transcript}");
    }

    public void Dispose() => _data.Dispose();

    /// <summary>
    /// lldb's SOS plugin, from the dotnet-dump tool that dotnet-tools.json pins: <c>dotnet tool restore</c> puts it among
    /// the NuGet packages (NUGET_PACKAGES when set, else ~/.nuget/packages, where an earlier restore may have put it).
    /// </summary>
    private static string SosPlugin()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(s_repository, "dotnet-tools.json")));
        var version = manifest.RootElement.GetProperty("tools").GetProperty("dotnet-dump").GetProperty("version").GetString()!;
        var rid = $"linux-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";
        string[] packageFolders = [.. new[] { Environment.GetEnvironmentVariable("NUGET_PACKAGES"), Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages") }
            .OfType<string>().Where(folder => folder.Length > 0).Distinct()];
        var plugin = packageFolders
            .Select(folder => Path.Combine(folder, "dotnet-dump", version, "tools"))
            .Where(Directory.Exists)
            .SelectMany(tool => Directory.EnumerateFiles(tool, "libsosplugin.so", SearchOption.AllDirectories))
            .FirstOrDefault(path => Path.GetFileName(Path.GetDirectoryName(path)) == rid);
        Assert.True(plugin is not null, $"SOS's lldb plugin for {rid} (dotnet-dump {version}) is in none of {string.Join(", ", packageFolders)}. Fix: dotnet tool restore (./test.sh runs it).");
        return plugin;
    }

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

using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// The dashboard's psql command in local and existing mode: psql signed in on the hello database, the query answered,
/// the password on no command line and on no screen. (Container mode: <see cref="ContainerMode.ContainerPsqlConsoleTests"/>.)
/// </summary>
public sealed class PsqlConsoleTests : IAsyncDisposable
{
    private const string AppHostVariable = "HELLOASPIRE_TESTS_APPHOST_ONLY";

    private readonly TestApps _apps = new();
    private readonly TestApps _existingApps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("--Postgres:Mode=local", "postgres")]
    [InlineData("--Postgres:Mode=container", "postgres")]
    [InlineData("--ConnectionStrings:hello=Host=db.example.com;Username=app;Password=secret;Database=hello", "hello")]
    public async Task EveryModeOffersThePsqlCommandUnlessItIsTurnedOff(string mode, string resource)
    {
        string[] local = mode == "--Postgres:Mode=local" ? [$"--Postgres:DataDirectory={_apps.Data.Path}"] : [];
        await using var offered = await AppModel.CreateAsync([mode, .. local], Ct);
        await using var turnedOff = await AppModel.CreateAsync([mode, .. local, "--Postgres:PsqlConsole=false"], Ct);

        Assert.Contains(offered.Resource<IResource>(resource).Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == PsqlConsoleExtensions.CommandName);
        Assert.DoesNotContain(turnedOff.Resource<IResource>(resource).Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == PsqlConsoleExtensions.CommandName);
    }

    [Fact]
    public async Task LocalModesPsqlCommandOpensPsqlOnHelloAsTheServerAccountWithThePasswordOnNoCommandLine()
    {
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), Ct);
        await app.WaitForWorkerToEndAsync(Ct);

        // A variable of the AppHost's own (here the test process's, which the in-process AppHost shares): psql must not get it.
        Environment.SetEnvironmentVariable(AppHostVariable, "not for psql");
        using var watch = new CommandLineWatch();
        var screen = await PsqlConsoleSession.QueryHelloAsync(app, "postgres", "hello", Ct);
        var seen = await watch.StopAsync();

        Assert.Contains("Hello world", screen);
        Assert.DoesNotContain(HelloApp.TestPassword, screen);
        Assert.Contains(seen, line => line.Contains("bin/psql", StringComparison.Ordinal));
        Assert.DoesNotContain(seen, line => line.Contains(HelloApp.TestPassword, StringComparison.Ordinal));
        // As root, psql (and a shell its \! opens) runs as the server's account, not as root.
        var psqlEnvironment = watch.PsqlEnvironmentNames;
        Assert.True(psqlEnvironment.Contains("PGDATABASE") && !psqlEnvironment.Contains(AppHostVariable) && !psqlEnvironment.Any(name => name.StartsWith("DOTNET_", StringComparison.Ordinal)),
            $"psql's environment should be libpq's variables and a few of the terminal's, nothing of the AppHost's: {string.Join(", ", psqlEnvironment)}");
        var psqlUsers = watch.PsqlUserIds;
        Assert.NotEmpty(psqlUsers);
        if (Environment.UserName == "root")
        {
            Assert.True(!psqlUsers.Contains("0"), $"psql ran as root (user ids seen: {string.Join(", ", psqlUsers)}).");
        }
    }

    [Fact]
    public async Task ExistingModesPsqlCommandOpensPsqlOnTheConnectionStringsDatabase()
    {
        var port = HelloApp.FreePort();
        var server = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path, $"--Postgres:Port={port}", "--DcpPublisher:RandomizePorts=false"), Ct);
        await server.WaitForWorkerToEndAsync(Ct);
        var existing = await _existingApps.StartAsync(
            [$"--ConnectionStrings:hello=Host=127.0.0.1;Port={port};Username=postgres;Password={HelloApp.TestPassword};Database=hello", "--NodeClient:Enabled=false"], Ct);
        await existing.WaitForWorkerToEndAsync(Ct);

        var screen = await PsqlConsoleSession.QueryHelloAsync(existing, "hello", "hello", Ct);

        Assert.Contains("Hello world", screen);
        Assert.DoesNotContain(HelloApp.TestPassword, screen);
    }

    public async ValueTask DisposeAsync()
    {
        await FailureReport.WriteIfFailedAsync();
        await _existingApps.DisposeAsync();
        await _apps.DisposeAsync();
    }
}

using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// The dashboard's psql command in local and existing mode: psql signed in on the hello database, the query answered,
/// the password on no command line and on no screen. (Container mode: <see cref="ContainerMode.ContainerPsqlConsoleTests"/>.)
/// </summary>
public sealed class PsqlConsoleTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly TestApps _existingApps = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LocalModesPsqlCommandOpensPsqlOnHelloAsTheServerAccountWithThePasswordOnNoCommandLine()
    {
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), Ct);
        await app.WaitForWorkerToEndAsync(Ct);

        using var watch = new CommandLineWatch();
        var screen = await PsqlConsoleSession.QueryHelloAsync(app, "postgres", "hello", Ct);
        var seen = await watch.StopAsync();

        Assert.Contains("Hello world", screen);
        Assert.DoesNotContain(HelloApp.TestPassword, screen);
        Assert.Contains(seen, line => line.Contains("bin/psql", StringComparison.Ordinal));
        Assert.DoesNotContain(seen, line => line.Contains(HelloApp.TestPassword, StringComparison.Ordinal));
        // As root, psql (and a shell its \! opens) runs as the server's account, not as root.
        var psqlUsers = watch.PsqlUserIds;
        Assert.NotEmpty(psqlUsers);
        Assert.Equal(Environment.UserName == "root", psqlUsers.All(uid => uid != "0"));
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

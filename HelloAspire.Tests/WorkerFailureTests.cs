using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>Bad input reaches the user as one clear line and a distinct exit code, never as a stack trace alone.</summary>
public sealed class WorkerFailureTests : IAsyncDisposable
{
    private static readonly TimeSpan s_workerRunTimeout = TimeSpan.FromSeconds(30);

    private readonly TestApps _apps = new();
    private readonly TemporaryDirectory _seed = new();

    [Theory]
    [InlineData("", 4, "Table 'hello' does not exist in database 'hello'")]
    [InlineData("CREATE TABLE hello (id integer PRIMARY KEY, message text NOT NULL);", 5, "Table 'hello' in database 'hello' has no rows")]
    public async Task WorkerSaysWhatIsMissingAndExitsNonZero(string seed, int exitCode, string message)
    {
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllTextAsync(_seed.Combine("01-schema.sql"), seed, ct);
        var run = await _apps.RunUntilWorkerEndsAsync(HelloApp.LocalMode(_apps.Data.Path, $"--Postgres:SeedDirectory={_seed.Path}"), ct);

        Assert.Equal(exitCode, run.Worker.ExitCode);
        Assert.Contains(message, run.WorkerLog);
        Assert.DoesNotContain("   at ", run.WorkerLog);
    }

    [Fact]
    public async Task WorkerRunOnItsOwnNamesTheMissingConnectionStringKey()
    {
        using var worker = ClientProcess.Start(new Dictionary<string, string?>());
        var (exitCode, output, errors) = await worker.WaitForExitAsync(s_workerRunTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("HelloAspire.Worker cannot start: ConnectionStrings:hello is not set.", line);
        Assert.Equal("", output);
    }

    /// <summary>Deployed, a mistyped 'hello' parameter: one line that names it and the form, never the value (it holds the password).</summary>
    [Fact]
    public async Task AMalformedConnectionStringIsOneLineThatNamesItAndHidesTheValue()
    {
        using var worker = ClientProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__hello"] = "Host=db.example;Password=Secret-Never-Echoed;Ssl Mode=sometimes",
        });
        var (exitCode, output, errors) = await worker.WaitForExitAsync(s_workerRunTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("HelloAspire.Worker cannot start: ConnectionStrings:hello is not a PostgreSQL connection string (", line);
        Assert.DoesNotContain("Secret-Never-Echoed", errors + output);
    }

    /// <summary>
    /// A server that answers but refuses: a wrong password (28P01) is exit code 6 for the worker and the seeding step
    /// alike, a database that is not there (3D000) exit code 7; each with its own line and fix.
    /// </summary>
    [Fact]
    public async Task ARefusedPasswordAndAMissingDatabaseHaveTheirOwnExitCodesAndLines()
    {
        var ct = TestContext.Current.CancellationToken;
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path), ct);
        await app.WaitForWorkerToEndAsync(ct);
        var server = (await app.GetConnectionStringAsync("hello", ct))!;
        string With(string key, string value) => new System.Data.Common.DbConnectionStringBuilder { ConnectionString = server, [key] = value }.ConnectionString;

        var wrongPassword = await RunWorkerAsync(new() { ["ConnectionStrings__hello"] = With("Password", "not-the-password") }, ct);
        var seedWrongPassword = await RunWorkerAsync(new() { ["ConnectionStrings__hello"] = With("Password", "not-the-password"), ["Hello__Task"] = "Seed" }, ct);
        var missingDatabase = await RunWorkerAsync(new() { ["ConnectionStrings__hello"] = With("Database", "nowhere") }, ct);

        Assert.Equal(6, wrongPassword.ExitCode);
        Assert.Contains("rejected user 'postgres'", wrongPassword.Output);
        Assert.Contains("Fix: correct the password in ConnectionStrings:hello", wrongPassword.Output);
        Assert.Equal(6, seedWrongPassword.ExitCode);
        Assert.Contains("rejected user 'postgres'", seedWrongPassword.Output);
        Assert.Equal(7, missingDatabase.ExitCode);
        Assert.Contains("Database 'nowhere' does not exist", missingDatabase.Output);
        Assert.DoesNotContain("not-the-password", wrongPassword.Output + seedWrongPassword.Output);
    }

    private static async Task<(int ExitCode, string Output)> RunWorkerAsync(Dictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        environment["Hello__ConnectRetryBudget"] = "00:00:05";
        using var worker = ClientProcess.Start(environment);
        var (exitCode, output, errors) = await worker.WaitForExitAsync(s_workerRunTimeout, cancellationToken);
        return (exitCode, output + errors);
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        _seed.Dispose();
    }
}

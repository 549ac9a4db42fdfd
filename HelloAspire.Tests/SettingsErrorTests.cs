using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// Every setting the AppHost refuses, as a user meets it: <c>dotnet run</c> ends with one line on standard error that
/// names the setting and the fix, exit code 1, and no stack trace. Each is the real program, started as a user starts it.
/// </summary>
public sealed class SettingsErrorTests : IDisposable
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(60);
    private readonly TemporaryDirectory _data = new();

    public static TheoryData<string[], string> Refused => new()
    {
        { ["--Postgres:Mode=sometimes"], "error: Postgres:Mode is 'sometimes', which is not a mode. Fix: use one of auto, container, local, existing" },
        { ["--Postgres:Mode=container", "--Postgres:Image=mirror.example.com/library/postgres:16"], "error: Postgres:Image is 'mirror.example.com/library/postgres:16', but the tag is the app's own" },
        { ["--Postgres:Port=70000"], "error: Postgres:Port is '70000'. Fix: use a TCP port from 1 to 65535" },
        { ["--Postgres:PublishAs=cloud"], "error: Postgres:PublishAs is 'cloud', which is not a choice. Fix: use container" },
        { ["--Postgres:Lifetime=forever"], "error: Postgres:Lifetime is 'forever', which is not a lifetime. Fix: use session" },
        { ["--Postgres:Lifetime=persistent", "--Postgres:TemporaryData=true"], "error: Postgres:Lifetime=persistent keeps the server running, but Postgres:TemporaryData=true deletes its data" },
        { ["--Postgres:TemporaryData=maybe"], "error: Postgres:TemporaryData is 'maybe'. Fix: use true or false." },
        { ["--RunOnce=maybe"], "error: RunOnce is 'maybe'. Fix: use --RunOnce=true or false." },
        { ["--Postgres:Mode=existing"], "error: Postgres:Mode is existing, but ConnectionStrings:hello is not set." },
        { ["--Postgres:Mode=existing", "--ConnectionStrings:hello=Host=db.example;Port=many"], "error: ConnectionStrings:hello is not a PostgreSQL connection string (" },
        { ["--Postgres:BinDirectory=/nonexistent"], "error: Postgres:BinDirectory is '/nonexistent', but it lacks postgres, initdb, psql." },
        { ["--Postgres:SeedDirectory=/nonexistent"], "error: The seed directory '/nonexistent' does not exist." },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task ASettingTheAppHostRefusesIsOneLineAndExitCodeOne(string[] settings, string line)
    {
        var run = await AppHostProcess.RunToEndAsync(
            ["--Postgres:Mode=local", $"--Postgres:DataDirectory={_data.Path}", "--NodeClient:Enabled=false", .. settings], s_runTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(1, run.ExitCode);
        var error = Assert.Single(run.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(line, error);
        Assert.DoesNotContain("   at ", run.Errors + string.Join('\n', run.Lines));
    }

    public void Dispose() => _data.Dispose();
}

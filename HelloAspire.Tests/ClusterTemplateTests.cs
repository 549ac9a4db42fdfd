using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>
/// New data starts as a copy of a template cluster instead of a new initdb: made the first time it is needed, copied
/// with initdb's owner and modes, and the copy gets its own password. The test keeps its own template directory, so
/// that it sees the template made (the other tests share the machine's, as a developer's runs do).
/// </summary>
public sealed class ClusterTemplateTests : IAsyncDisposable
{
    private readonly TestApps _apps = new();
    private readonly TemporaryDirectory _templates = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheTemplateIsMadeWhenFirstNeededAndTheCopyHasInitdbsModesAndItsOwnPassword()
    {
        // As the default cache directory: the server account (the AppHost runs as root here) must reach the template.
        File.SetUnixFileMode(_templates.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        var app = await _apps.StartAsync(HelloApp.LocalMode(_apps.Data.Path, "--Postgres:InitTemplate=true", $"--Postgres:TemplateDirectory={_templates.Path}"), Ct);
        var worker = await app.WaitForWorkerToEndAsync(Ct);
        var log = await app.LogsOfAsync("postgres", Ct);
        var connectionString = (await app.GetConnectionStringAsync("hello", Ct))!;
        var template = Assert.Single(Directory.GetDirectories(_templates.Path));
        var templatePassword = await File.ReadAllTextAsync(Path.Combine(template, "password"), Ct);
        var withTemplatePassword = await Record.ExceptionAsync(() =>
            ServerCommands.ScalarAsync<int>(connectionString.Replace(HelloApp.TestPassword, templatePassword, StringComparison.Ordinal), "SELECT 1", Ct));
        var withOwnPassword = await ServerCommands.ScalarAsync<int>(connectionString, "SELECT 1", Ct);
        await _apps.StopAsync(app, Ct);

        Assert.Equal(0, worker.ExitCode);
        Assert.Contains($"Made the template cluster {template}", log);
        Assert.Contains($"Initialized a new data directory in {_apps.Data.Combine("pgdata")} from the template cluster {template}", log);
        Assert.Contains("28P01", withTemplatePassword?.Message); // the copy no longer takes the template's password
        Assert.Equal(1, withOwnPassword);
        Assert.DoesNotContain(templatePassword, log);
        foreach (var entry in Directory.EnumerateFileSystemEntries(Path.Combine(template, "pgdata"), "*", SearchOption.AllDirectories))
        {
            var copy = _apps.Data.Combine("pgdata", Path.GetRelativePath(Path.Combine(template, "pgdata"), entry));
            Assert.True(Path.Exists(copy), $"the copy lacks {copy}");
            Assert.Equal(File.GetUnixFileMode(entry), File.GetUnixFileMode(copy));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_apps.Data.Combine("pgdata")));
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        _templates.Dispose();
    }
}

using System.Diagnostics;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.ContainerMode;

/// <summary>
/// The image container mode's tests run on keeps the official postgres image's documented contract, which Aspire and
/// this app rely on: the stand-in built here, or the official image itself when <see cref="Containers.ImageVariable"/>
/// names it (the same test then checks the contract against the original).
/// </summary>
[Collection(ContainerRuns.Name)]
public sealed class ImageContractTests : IAsyncDisposable
{
    private const string Password = "image-contract-test-password-0123";
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(60);

    private readonly TemporaryDirectory _scripts = new();
    private readonly List<string> _containers = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NewDataIsInitializedOnceWithTheUserDatabaseArgumentsAndScriptsInNameOrderOnASocketOnlyServer()
    {
        await Containers.RequireAsync(Ct);
        // Mounted as it is: the server account in the container reads it (a test directory is the owner's only).
        File.SetUnixFileMode(_scripts.Path, (UnixFileMode)0b111_101_101);
        await File.WriteAllTextAsync(_scripts.Combine("01-table.sql"), "CREATE TABLE runs (script text, tcp text);", Ct);
        // Sourced (not executable), as the contract says; it asks whether the init server answers over TCP.
        await File.WriteAllTextAsync(_scripts.Combine("02-tcp.sh"), """
            if psql --host=127.0.0.1 --username="$POSTGRES_USER" --dbname="$POSTGRES_DB" --command='SELECT 1' >/dev/null 2>&1; then tcp=answers; else tcp=refused; fi
            psql --username="$POSTGRES_USER" --dbname="$POSTGRES_DB" --command="INSERT INTO runs VALUES ('02-tcp.sh', '$tcp')"
            """, Ct);
        await File.WriteAllTextAsync(_scripts.Combine("03-row.sql"), "INSERT INTO runs VALUES ('03-row.sql', NULL);", Ct);
        await File.WriteAllTextAsync(_scripts.Combine("README.txt"), "neither SQL nor shell: ignored", Ct);

        var version = await Containers.RunCheckedAsync(["run", "--rm", Containers.ImageReference, "postgres", "--version"], Ct);
        var (noPasswordExitCode, _, noPasswordErrors) = await Containers.RunAsync(["run", "--rm", Containers.ImageReference], Ct);
        var container = await StartAsync(["--env", $"POSTGRES_PASSWORD={Password}", "--env", "POSTGRES_USER=app", "--env", "POSTGRES_DB=appdb",
            "--env", "POSTGRES_INITDB_ARGS=--data-checksums", "--volume", $"{_scripts.Path}:/docker-entrypoint-initdb.d:ro,z"]);
        await WaitUntilReadyAsync(container, readyLines: 2);
        var first = await QueryAsync(container, "SELECT string_agg(script || ':' || coalesce(tcp, ''), ',' ORDER BY script) || ';' || current_setting('data_checksums') FROM runs");
        await Containers.RunCheckedAsync(["restart", container], Ct);
        await WaitUntilReadyAsync(container, readyLines: 3);
        var afterRestart = await QueryAsync(container, "SELECT count(*) FROM runs");

        Assert.Contains($"(PostgreSQL) {AppHost.Database.HelloDatabaseBuilderExtensions.PostgresImageTag}", version);
        Assert.NotEqual(0, noPasswordExitCode);
        Assert.Contains("POSTGRES_PASSWORD", noPasswordErrors);
        Assert.Equal("02-tcp.sh:refused,03-row.sql:;on", first);
        Assert.Equal("2", afterRestart);
    }

    /// <summary>Starts a container of the image (detached), removed at the end with its anonymous volume.</summary>
    private async Task<string> StartAsync(string[] options)
    {
        var container = await Containers.RunCheckedAsync(["run", "--detach", .. options, Containers.ImageReference], Ct);
        _containers.Add(container);
        return container;
    }

    /// <summary>
    /// Follows the container's log until the server has said it is ready <paramref name="readyLines"/> times: on new
    /// data, once for the init server (socket only) and once for the server itself; once more after each restart.
    /// </summary>
    private static async Task WaitUntilReadyAsync(string container, int readyLines)
    {
        // Both streams as one: which stream a line comes back on depends on the runtime's log driver.
        var startInfo = new ProcessStartInfo("sh", ["-c", "exec \"$0\" logs --follow \"$1\" 2>&1", Containers.Runtime, container]) { RedirectStandardOutput = true };
        using var logs = Process.Start(startInfo)!;
        using var timeout = HelloApp.Timeout(s_readyTimeout, Ct);
        try
        {
            var seen = 0;
            while (seen < readyLines && await logs.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                seen += line.Contains("database system is ready to accept connections", StringComparison.Ordinal) ? 1 : 0;
            }

            Assert.True(seen == readyLines, $"The container's log ended after {seen} of {readyLines} 'ready' lines.");
        }
        finally
        {
            logs.Kill();
            await logs.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static Task<string> QueryAsync(string container, string sql) =>
        Containers.RunCheckedAsync(["exec", "--env", $"PGPASSWORD={Password}", container,
            "psql", "--host=127.0.0.1", "--username=app", "--dbname=appdb", "--no-align", "--tuples-only", "--command", sql], Ct);

    public async ValueTask DisposeAsync()
    {
        foreach (var container in _containers)
        {
            await Containers.RunAsync(["rm", "--force", "--volumes", container], CancellationToken.None);
        }

        _scripts.Dispose();
    }
}

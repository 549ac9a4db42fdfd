using HelloAspire.Seeding;

namespace HelloAspire.Hosting.Tests;

/// <summary>The seed rule's folder and its wiring onto a database, on bare builders: nothing starts.</summary>
public sealed class SeedScriptsTests : IDisposable
{
    private readonly Bare.Folder _folder = new();

    [Fact]
    public void OnlySqlScriptsRunInOrdinalNameOrderAndOtherFilesAreLeftOut()
    {
        foreach (var name in new[] { "10-last.sql", "02-second.sql", "01-first.sql", "notes.txt", "README.md" })
        {
            File.WriteAllText(_folder.Combine(name), "SELECT 1;");
        }

        var scripts = SeedScripts.Find(_folder.Path, "Postgres:SeedDirectory");

        Assert.Equal(["01-first.sql", "02-second.sql", "10-last.sql"], scripts.Select(Path.GetFileName));
    }

    [Fact]
    public void AShellScriptIsRefusedByNameRatherThanLeftOutInSilence()
    {
        File.WriteAllText(_folder.Combine("01-hello.sql"), "SELECT 1;");
        File.WriteAllText(_folder.Combine("02-load.sh"), "psql -f data.sql");

        var error = Assert.Throws<SeedException>(() => SeedScripts.Find(_folder.Path, "Postgres:SeedDirectory"));

        Assert.Equal("Seed script 02-load.sh is a shell script; seeding runs *.sql scripts only. Fix: write it as SQL.", error.Message);
    }

    [Fact]
    public void APlainFormatPgDumpRunsAsSqlAndCopyRowsAndItsRestrictLinesAreLeftOut()
    {
        const string dump = "\\restrict abc123\nSET client_encoding = 'UTF8';\n-- rows\nCOPY public.big (id, note) FROM stdin;\n1\tone\n2\ttwo\n\\.\nSELECT 1;\n\\unrestrict abc123\n";

        var parts = SeedScriptText.Parts("02-big.sql", dump);

        Assert.Equal(
            [new("SET client_encoding = 'UTF8';\n-- rows\n", null), new("COPY public.big (id, note) FROM stdin", "1\tone\n2\ttwo\n"), new("SELECT 1;\n", null)],
            parts);
    }

    [Fact]
    public void APsqlCommandIsRefusedByScriptAndLine()
    {
        var error = Assert.Throws<SeedException>(() => SeedScriptText.Parts("02-other.sql", "SELECT 1;\n\\connect other\nSELECT 2;\n"));

        Assert.Equal("Seed script 02-other.sql line 2 is a psql command (\\connect), and seeding runs SQL. Fix: write it as SQL, or load that file with psql yourself.", error.Message);
    }

    [Fact]
    public void CopyRowsWithoutTheirEndLineAreRefusedRatherThanRunAsSql()
    {
        var error = Assert.Throws<SeedException>(() => SeedScriptText.Parts("02-cut.sql", "COPY big (id) FROM stdin;\n1\n2\n"));

        Assert.StartsWith("Seed script 02-cut.sql line 1: the data of its COPY … FROM stdin has no end line", error.Message);
    }

    /// <summary>A start that read the history skips the seed's connection only when that connection would do nothing.</summary>
    [Fact]
    public async Task AHistoryThatRecordsEveryScriptAsItIsMeansNothingToApplyAndANewOrEditedScriptMeansAConnection()
    {
        File.WriteAllText(_folder.Combine("01-hello.sql"), "CREATE TABLE hello (message text);");
        File.WriteAllText(_folder.Combine("02-row.sql"), "INSERT INTO hello VALUES ('Hello world');");
        var scripts = SeedScripts.Find(_folder.Path, "Postgres:SeedDirectory");
        var recorded = scripts.ToDictionary(s => Path.GetFileName(s), s => SeedScripts.Sha256Of(File.ReadAllText(s)), StringComparer.Ordinal);
        var log = new Bare.RecordingLogger();

        var upToDate = await SeedScripts.AllRecordedAsync(scripts, recorded, log, TestContext.Current.CancellationToken);
        var silent = new Bare.RecordingLogger();
        var withoutTheSecond = await SeedScripts.AllRecordedAsync(scripts, recorded.Where(r => r.Key != "02-row.sql").ToDictionary(), silent, TestContext.Current.CancellationToken);
        File.AppendAllText(_folder.Combine("02-row.sql"), "\n-- edited");
        var afterAnEdit = await SeedScripts.AllRecordedAsync(scripts, recorded, silent, TestContext.Current.CancellationToken);

        Assert.True(upToDate, "every script recorded with its hash: nothing to apply");
        Assert.Equal(["Seed: 01-hello.sql was applied before; nothing to do.", "Seed: 02-row.sql was applied before; nothing to do."], log.Lines);
        Assert.False(withoutTheSecond, "a script the history lacks must reach the database");
        Assert.False(afterAnEdit, "an edited script must reach the rule's check, which refuses it by name");
        // The rule's own check logs each script then; a line here would say it twice.
        Assert.Empty(silent.Lines);
    }

    [Fact]
    public void AMissingSeedDirectoryStopsTheModelInOneLineNamingTheSettingThatPointsAtIt()
    {
        var missing = _folder.Combine("no-seed");
        var database = Bare.Builder().AddPostgres("postgres").AddDatabase("hello");

        var error = Assert.Throws<DistributedApplicationException>(() => database.WithSeedScripts(missing, "Postgres:SeedDirectory"));

        Assert.Equal($"The seed directory '{missing}' does not exist. Fix: create it, or set Postgres:SeedDirectory to the folder with the *.sql scripts.", error.Message);
    }

    [Fact]
    public void ASeededDatabaseCarriesItsFolderResolvedAgainstTheAppHost()
    {
        var builder = Bare.Builder();
        var database = builder.AddPostgres("postgres").AddDatabase("hello").WithSeedScripts(Path.GetRelativePath(builder.AppHostDirectory, _folder.Path));

        Assert.Equal(_folder.Path, Assert.Single(database.Resource.Annotations.OfType<SeedScriptsAnnotation>()).Directory);
    }

    [Fact]
    public void PublishingAddsNothingForNoAppHostRunsBesideADeployment()
    {
        var database = Bare.PublishingBuilder(_folder.Path).AddPostgres("postgres").AddDatabase("hello").WithSeedScripts(_folder.Combine("not-needed-either"));

        Assert.Empty(database.Resource.Annotations.OfType<SeedScriptsAnnotation>());
    }

    [Fact]
    public void BadArgumentsAreRefusedByName()
    {
        var database = Bare.Builder().AddPostgres("postgres").AddDatabase("hello");

        Assert.Throws<ArgumentNullException>("database", () => SeedScriptsExtensions.WithSeedScripts<PostgresDatabaseResource>(null!, _folder.Path));
        Assert.Throws<ArgumentException>("directory", () => database.WithSeedScripts(""));
        Assert.Throws<ArgumentException>("directorySetting", () => database.WithSeedScripts(_folder.Path, ""));
    }

    public void Dispose() => _folder.Dispose();
}

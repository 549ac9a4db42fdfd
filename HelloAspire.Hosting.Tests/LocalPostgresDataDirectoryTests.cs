using HelloAspire.Hosting.LocalPostgres.Cluster;

namespace HelloAspire.Hosting.Tests;

/// <summary>What a start may do with a data directory: only the integration's own unfinished ones are ever re-initialized.</summary>
public sealed class LocalPostgresDataDirectoryTests : IDisposable
{
    private readonly Bare.Folder _root = new();

    private LocalPostgresDataDirectory Data => new(_root.Path);

    [Fact]
    public void AMissingOrEmptyDirectoryIsNew()
    {
        Assert.Equal(LocalPostgresDataState.Empty, Data.Inspect());
        Directory.CreateDirectory(Data.PgData);
        Assert.Equal(LocalPostgresDataState.Empty, Data.Inspect());
    }

    [Fact]
    public void ADirectoryWithPgVersionIsKeptData()
    {
        WriteKeptData();

        Assert.Equal(LocalPostgresDataState.Initialized, Data.Inspect());
        Assert.Equal("15", Data.ServerVersion());
    }

    [Fact]
    public void TheInitializingMarkerMeansAnUnfinishedFirstStart()
    {
        WriteKeptData();
        File.WriteAllText(_root.Combine("initializing"), "");

        Assert.Equal(LocalPostgresDataState.HalfInitialized, Data.Inspect());
    }

    [Fact]
    public void FilesTheIntegrationDidNotWriteAreForeign()
    {
        Directory.CreateDirectory(Data.PgData);
        File.WriteAllText(Path.Combine(Data.PgData, "notes.txt"), "mine");

        Assert.Equal(LocalPostgresDataState.Foreign, Data.Inspect());
    }

    private void WriteKeptData()
    {
        Directory.CreateDirectory(Data.PgData);
        File.WriteAllText(Path.Combine(Data.PgData, "PG_VERSION"), "15\n");
    }

    public void Dispose() => _root.Dispose();
}

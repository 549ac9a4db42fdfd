using HelloAspire.AppHost.LocalPostgres;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests.LocalPostgres;

/// <summary>What a start may do with a data directory: only HelloAspire's own unfinished ones are ever re-initialized.</summary>
public sealed class LocalPostgresDataDirectoryTests : IDisposable
{
    private readonly TemporaryDirectory _root = new();

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
        Directory.CreateDirectory(Data.PgData);
        File.WriteAllText(Path.Combine(Data.PgData, "PG_VERSION"), "15\n");

        Assert.Equal(LocalPostgresDataState.Initialized, Data.Inspect());
        Assert.Equal("15", Data.ServerVersion());
    }

    [Fact]
    public void TheInitializingMarkerMeansAnUnfinishedFirstStart()
    {
        Directory.CreateDirectory(Data.PgData);
        File.WriteAllText(Path.Combine(Data.PgData, "PG_VERSION"), "15\n");
        File.WriteAllText(_root.Combine("initializing"), "");

        Assert.Equal(LocalPostgresDataState.HalfInitialized, Data.Inspect());
    }

    [Fact]
    public void FilesHelloAspireDidNotWriteAreForeign()
    {
        Directory.CreateDirectory(Data.PgData);
        File.WriteAllText(Path.Combine(Data.PgData, "notes.txt"), "mine");

        Assert.Equal(LocalPostgresDataState.Foreign, Data.Inspect());
    }

    public void Dispose() => _root.Dispose();
}

namespace HelloAspire.Hosting.Tests;

public sealed class PostgresInstallationTests : IDisposable
{
    private readonly Bare.Folder _root = new();

    [Fact]
    public void AnExplicitCompleteDirectoryIsUsedAsItIs()
    {
        var bin = FakeInstallation("16");

        Assert.Equal(bin, PostgresInstallation.Find(bin, [])!.BinDirectory);
    }

    [Fact]
    public void TheSearchPatternPrefersTheNewestMajorVersion()
    {
        FakeInstallation("9");
        var newest = FakeInstallation("16");
        FakeInstallation("15");

        var found = PostgresInstallation.Find(null, PostgresInstallation.Expand(Path.Combine(_root.Path, "*", "bin")));

        Assert.Equal(newest, found?.BinDirectory);
    }

    [Fact]
    public void NoCompleteCandidateMeansNoInstallation()
    {
        Directory.CreateDirectory(Path.Combine(_root.Path, "16", "bin"));

        Assert.Null(PostgresInstallation.Find(null, PostgresInstallation.Expand(Path.Combine(_root.Path, "*", "bin"))));
        Assert.Null(PostgresInstallation.Find(null, PostgresInstallation.Expand("/nonexistent/*/bin")));
    }

    [Fact]
    public void AnIncompleteDirectoryIsSkipped()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_root.Path, "17", "bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "postgres"), "");

        var error = Assert.Throws<LocalPostgresException>(() => PostgresInstallation.Find(bin, []));
        Assert.Contains("it lacks initdb, psql", error.Message);
    }

    private string FakeInstallation(string major)
    {
        var bin = Directory.CreateDirectory(Path.Combine(_root.Path, major, "bin")).FullName;
        foreach (var tool in new[] { "postgres", "initdb", "psql" })
        {
            File.WriteAllText(Path.Combine(bin, tool), "");
        }

        return bin;
    }

    public void Dispose() => _root.Dispose();
}

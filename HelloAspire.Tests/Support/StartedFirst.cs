using Xunit.Sdk;
using Xunit.v3;

namespace HelloAspire.Tests.Support;

/// <summary>
/// The suite's longest test. With more tests than threads, a long test that starts late makes the whole suite wait
/// for it; started first, it runs beside all the others (longest first: the classic way to pack parallel work).
/// </summary>
[CollectionDefinition(Name)]
public sealed class StartedFirst
{
    public const string Name = "Started first: the longest test";
}

/// <summary>The next longest test, started right after <see cref="StartedFirst"/>, in parallel with it.</summary>
[CollectionDefinition(Name)]
public sealed class StartedSecond
{
    public const string Name = "Started second: the next longest test";
}

/// <summary>
/// Runs <see cref="ContainerRuns"/> (container mode's tests, one after another: mostly spent waiting on the container
/// runtime, so they overlap well with the CPU-bound ones), then <see cref="StartedFirst"/>, <see cref="StartedSecond"/>
/// and <see cref="NodeClientRuns"/> (tests that run one after another), then the others, which keep their order.
/// </summary>
public sealed class LongestTestsFirst : ITestCollectionOrderer
{
    private static readonly string?[] s_longestFirst = [typeof(ContainerRuns).FullName, typeof(StartedFirst).FullName, typeof(StartedSecond).FullName, typeof(NodeClientRuns).FullName];

    public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
        where TTestCollection : ITestCollection =>
        [.. testCollections.OrderBy(collection => Rank(collection))];

    private static int Rank(ITestCollection collection) =>
        Array.IndexOf(s_longestFirst, collection.TestCollectionClassName) is var rank and >= 0 ? rank : s_longestFirst.Length;
}

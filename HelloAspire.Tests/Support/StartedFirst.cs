using Xunit.Sdk;
using Xunit.v3;

namespace HelloAspire.Tests.Support;

/// <summary>
/// The suite's longest tests. With more tests than threads, a long test that starts late makes the whole suite wait
/// for it; started first, it runs beside all the others (longest first: the classic way to pack parallel work).
/// </summary>
[CollectionDefinition(Name)]
public sealed class StartedFirst
{
    public const string Name = "Started first: the longest tests";
}

/// <summary>Runs the <see cref="StartedFirst"/> collection before the others, which keep their order.</summary>
public sealed class LongestTestsFirst : ITestCollectionOrderer
{
    public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
        where TTestCollection : ITestCollection =>
        [.. testCollections.OrderByDescending(collection => collection.TestCollectionClassName == typeof(StartedFirst).FullName)];
}

namespace HelloAspire.Tests.Support;

/// <summary>
/// The tests that run the Node.js client, one at a time: they share node-client/node_modules, which a fresh clone
/// lacks, and two AppHosts would each run <c>npm ci</c> into it at once.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NodeClientRuns
{
    public const string Name = "The Node.js client's runs";
}

using HelloAspire.Tests.Support;

// Local mode, which most tests run, needs a Unix host (PostgreSQL's binaries, setpriv, unix sockets).
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[assembly: TestCollectionOrderer(typeof(LongestTestsFirst))]
[assembly: AssemblyFixture(typeof(SuiteCleanup))]

// The local PostgreSQL integration needs a Unix host (its server account, unix sockets, /proc).
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]

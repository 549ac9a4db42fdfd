var builder = DistributedApplication.CreateBuilder(args);

// The cluster, made and seeded by bench/bench.py before it times this app (its floor rows' cluster).
string Setting(string name) => builder.Configuration[$"Floor:{name}"]
    ?? throw new InvalidOperationException($"Floor:{name} is not set. Fix: run this app through bench/bench.py.");
var data = Setting("DataDirectory");
var socket = Setting("SocketDirectory");
var port = Setting("Port");
var postgres = Path.Combine(Setting("BinDirectory"), "postgres");
var connectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Password={Setting("Password")};Database=hello";

// PostgreSQL refuses root: as root, setpriv runs it as the postgres account in place, as HelloAspire does.
string[] serverArguments = ["-D", data, "-p", port, "-c", "listen_addresses=127.0.0.1", "-c", $"unix_socket_directories={socket}"];
var server = builder.Configuration["Floor:RunAs"] is { Length: > 0 } runAs
    ? builder.AddExecutable("postgres", "setpriv", data, [$"--reuid={runAs}", $"--regid={runAs}", "--init-groups", "--", postgres, .. serverArguments])
    : builder.AddExecutable("postgres", postgres, data, serverArguments);

builder.Services.AddHealthChecks().AddNpgSql(connectionString, name: "postgres-accepts-logins");
server.WithHealthCheck("postgres-accepts-logins");

builder.AddProject<Projects.HelloAspire_Worker>("worker")
    .WithBuildOutputLaunch()
    .WithEnvironment("ConnectionStrings__hello", connectionString)
    .WaitFor(server)
    .AsRunOnce(stopsTheAppHost: builder.Configuration.GetValue<bool>("RunOnce"));

builder.Build().Run();

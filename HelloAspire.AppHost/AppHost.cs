using HelloAspire.AppHost.Clients;
using HelloAspire.AppHost.Database;
using HelloAspire.AppHost.Startup;

// A setting to fix, or HelloAspire already running, is one line and exit code 1 on the console, not a stack trace.
StartupErrors.ShowWithoutStackTrace();

// Its appsettings.json wherever it is started from; Development unless DOTNET_ENVIRONMENT says otherwise (azd's choice).
var builder = DistributedApplication.CreateBuilder(AppHostSettings.WithDefaults(args));

// The generated password kept in user secrets, read outside Development too: Aspire would write a new one over it.
builder.ReadUserSecretsInEveryEnvironment();

// The console shows the app: the mode, the dashboard's login line, the clients' output and ends, warnings and errors.
// Aspire's start-up lines and waits stay in the dashboard (--Console:ShowAspireLines=true shows them here too).
builder.ShowTheAppOnTheConsole();

// Ctrl+C while a client still waits for postgres cancels Aspire's start: one line, not a stack trace.
builder.LogStopDuringStartAsOneLine();

// DCP killed or crashed under the app: one line and exit code 69 within seconds, instead of a hang that holds the data.
builder.StopWhenOrchestratorEnds("Fix: run the AppHost again; if the orchestrator keeps ending, see docs/troubleshooting.md.");

// A dependency that stops or fails to start fails its dependents, instead of leaving them waiting forever. (A server
// that ran first and was then stopped, as for kept data that refuses the password, leaves them waiting: Aspire ends a
// wait for health only on health. Its fix, Use new password, lets them go on.)
builder.Services.Configure<ResourceNotificationServiceOptions>(o => o.DefaultWaitBehavior = WaitBehavior.StopOnResourceUnavailable);

// --RunOnce=true: the AppHost stops once the clients have ended (or the database cannot start), with their exit
// code, for scripts and CI. Without it, the clients' output and exit codes show here and the AppHost stays up.
var stopWhenClientsEnd = builder.StopWhenClientsEnd();

// A container, the host's PostgreSQL binaries or an existing server, chosen by Postgres:Mode (docs/reference.md).
var hello = builder.AddHelloDatabase("postgres", databaseName: "hello", stopAppHostOnFailure: stopWhenClientsEnd);

// A server the app does not start (managed, or existing when asked) is seeded first, by the worker's seed task.
var seed = builder.AddHelloSeedStep<Projects.HelloAspire_Worker>("seed", hello)
    ?.AsRunOnce(stopWhenClientsEnd)
    .StaysUpWhenDeployed();

builder.AddProject<Projects.HelloAspire_Worker>("worker")
    // Its built program, not `dotnet run`, which re-evaluates the project on every start.
    .WithBuildOutputLaunch()
    .WithConnectionString(hello)
    .WaitFor(hello)
    .WaitForSeed(seed)
    .AsRunOnce(stopWhenClientsEnd)
    .StaysUpWhenDeployed();

// The tutorial's own Node.js client, its index.js unchanged: it reads PG* like the compose file's environment block.
// Loaded first: tracing.js sends node-postgres's spans to the dashboard (over OTLP/HTTP, the one protocol its exporter
// speaks), and require-auth.js makes it insist on SCRAM. Left out, with the reason logged, by
// NodeClient:Enabled=false or when node is not on the PATH.
if (builder.WantsNodeClient("node-client"))
{
    builder.AddNodeScript("node-client", "../node-client", "--require", "./tracing.js", "--require", "./require-auth.js", "index.js")
        .WithOtlpExporterIfEndpointAvailable(OtlpProtocol.HttpProtobuf)
        .WithPostgresEnvironment(hello)
        .WaitFor(hello)
        .WaitForSeed(seed)
        .AsRunOnce(stopWhenClientsEnd)
        .StaysUpWhenDeployed();
}

// Deployed with azd: `aspire publish` writes the manifest it reads, `aspire deploy` says to run `azd up` (README).
builder.PublishTheManifestForAzd();

// Disposed, so that a stop during the start (which Aspire's Run ends without stopping the host) still ends the local
// server and flushes the console.
await using var app = builder.Build();
await app.RunAsync();

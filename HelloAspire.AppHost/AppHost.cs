using HelloAspire.AppHost.Database;
using HelloAspire.AppHost.NodeClient;
using HelloAspire.AppHost.ProjectLaunch;
using HelloAspire.AppHost.RunOnce;
using HelloAspire.AppHost.Startup;

// A setting to fix, or HelloAspire already running, is one line and exit code 1 on the console, not a stack trace.
StartupErrors.ShowWithoutStackTrace();

// Its appsettings.json wherever it is started from; Development unless DOTNET_ENVIRONMENT says otherwise (azd's choice).
var builder = DistributedApplication.CreateBuilder(AppHostSettings.WithDefaults(args));

// The generated password kept in user secrets, read outside Development too: Aspire would write a new one over it.
builder.ReadUserSecretsInEveryEnvironment();

// Ctrl+C while a client still waits for postgres cancels Aspire's start: one line, not a stack trace.
builder.LogStopDuringStartAsOneLine();

// A dependency that stops or fails to start fails its dependents, instead of leaving them waiting forever.
builder.Services.Configure<ResourceNotificationServiceOptions>(o => o.DefaultWaitBehavior = WaitBehavior.StopOnResourceUnavailable);

// A container, the host's PostgreSQL binaries or an existing server, chosen by Postgres:Mode (README, docs/reference.md).
var hello = builder.AddHelloDatabase("postgres", databaseName: "hello");

// The clients run once, like the tutorial's app: their output and exit codes show here, --RunOnce=true stops the
// AppHost after them, and deployed they stay up after their run (Container Apps restarts whatever exits).
var runOnce = builder.RunOnceRequested();

// A server the app does not start (managed, or existing when asked) is seeded first, by the worker's seed task.
var seed = builder.AddSeedStep<Projects.HelloAspire_Worker>("seed", hello)
    ?.AsRunOnce(runOnce);

builder.AddProject<Projects.HelloAspire_Worker>("worker")
    // Its built program, not `dotnet run`, which re-evaluates the project on every start.
    .WithBuildOutputLaunch()
    .WithConnectionString(hello)
    .WaitFor(hello)
    .WaitForSeed(seed)
    .AsRunOnce(runOnce);

// The tutorial's own Node.js client, unchanged: it reads PG* like the compose file's environment block.
// Left out, with the reason logged, by NodeClient:Enabled=false or when node is not on the PATH.
if (builder.WantsNodeClient())
{
    builder.AddNodeClient("node-client", "../node-client")
        .WithPostgresEnvironment(hello)
        .WaitFor(hello)
        .WaitForSeed(seed)
        .AsRunOnce(runOnce);
}

// Deployed with azd: `aspire publish` writes the manifest it reads, `aspire deploy` says to run `azd up` (README, docs/reference.md).
builder.PublishTheManifestForAzd();

// Disposed, so that a stop during the start (which Aspire's Run ends without stopping the host) still ends the local
// server and flushes the console.
await using var app = builder.Build();
await app.RunAsync();

using HelloAspire.AppHost.Database;
using HelloAspire.AppHost.RunOnce;

var builder = DistributedApplication.CreateBuilder(args);

// A dependency that stops or fails to start fails its dependents, instead of leaving them waiting forever.
builder.Services.Configure<ResourceNotificationServiceOptions>(o => o.DefaultWaitBehavior = WaitBehavior.StopOnResourceUnavailable);

// A container, the host's PostgreSQL binaries or an existing server, chosen by Postgres:Mode (README).
var hello = builder.AddHelloDatabase("postgres", databaseName: "hello");

builder.AddProject<Projects.HelloAspire_Worker>("worker")
    .WithReference(hello)
    .WaitFor(hello)
    // The worker runs once, like the tutorial's app: show its output and exit code here, not only on the dashboard.
    .WithConsoleEcho(exitAppHost: builder.Configuration.GetValue<bool>(RunOnceResourceExtensions.ExitWithWorkerSetting));

builder.Build().Run();

using HelloAspire.AppHost.ProjectLaunch;
using HelloAspire.AppHost.RunOnce;

var builder = DistributedApplication.CreateBuilder(args);

builder.AddProject<Projects.EmptyAspireApp_Worker>("worker")
    .WithBuildOutputLaunch()
    .AsRunOnce(builder.RunOnceRequested());

builder.Build().Run();

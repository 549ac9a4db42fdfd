var builder = DistributedApplication.CreateBuilder(args);

builder.AddProject<Projects.EmptyAspireApp_Worker>("worker")
    .WithBuildOutputLaunch()
    .AsRunOnce(stopsTheAppHost: builder.Configuration.GetValue<bool>("RunOnce"));

builder.Build().Run();

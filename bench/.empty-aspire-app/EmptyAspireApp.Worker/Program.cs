var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddHostedService<EmptyAspireApp.Worker.HelloLine>();
builder.Build().Run();

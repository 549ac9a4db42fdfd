using HelloAspire.Worker;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddHelloWorker();

using var host = builder.Build();
try
{
    // Validate before the host resolves the data source, whose own error for a missing connection string is a stack trace.
    _ = host.Services.GetRequiredService<IOptions<HelloOptions>>().Value;
    await host.RunAsync();
}
catch (OptionsValidationException ex)
{
    // Bad configuration is the user's to fix: one line that names it, not a stack trace.
    await Console.Error.WriteLineAsync($"HelloAspire.Worker cannot start: {string.Join(" ", ex.Failures)}");
    return ExitCodes.BadConfiguration;
}

return Environment.ExitCode;

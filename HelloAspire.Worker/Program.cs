using System.Runtime.InteropServices;
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
    if (!string.Equals(builder.Configuration[$"{HelloOptions.SectionName}:{nameof(HelloOptions.AfterRun)}"], nameof(AfterRun.Stay), StringComparison.OrdinalIgnoreCase))
    {
        return ExitCodes.BadConfiguration;
    }

    // Deployed, an exit is started again at once, and the line above said again and again. The setting cannot change
    // under a running replica (a new one, with the fixed setting, replaces it), so it stays up, said once, until stopped.
    await Console.Error.WriteLineAsync("Staying up without reading until stopped (Hello:AfterRun=Stay): a deployment with the setting fixed replaces this replica.");
    var stopped = new TaskCompletionSource();
    using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => { signal.Cancel = true; stopped.TrySetResult(); });
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => { signal.Cancel = true; stopped.TrySetResult(); });
    await stopped.Task;
    return ExitCodes.BadConfiguration;
}

return Environment.ExitCode;

namespace HelloAspire.Worker;

public static class HelloWorkerExtensions
{
    /// <summary>The database (Aspire.Npgsql: pooling, health check, traces, metrics), the options, and the run-once job.</summary>
    public static IHostApplicationBuilder AddHelloWorker(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HelloOptions>()
            .BindConfiguration(HelloOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HelloOptions>, HelloOptionsValidator>();

        builder.AddNpgsqlDataSource(HelloOptions.ConnectionName);
        builder.Services.AddSingleton<HelloReader>();
        builder.Services.AddSingleton<HelloSeeder>();
        builder.Services.AddHostedService<HelloWorker>();
        return builder;
    }
}

namespace HelloAspire.Worker;

/// <summary>The <c>Hello</c> configuration section.</summary>
public sealed class HelloOptions
{
    public const string SectionName = "Hello";

    /// <summary>The connection string name the AppHost's database resource injects.</summary>
    public const string ConnectionName = "hello";

    /// <summary>
    /// How long the worker keeps retrying transient connection errors (server starting, not listening yet)
    /// before it gives up with exit code 3.
    /// </summary>
    public TimeSpan ConnectRetryBudget { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Fails start-up, one line per problem, when the configuration cannot work.</summary>
internal sealed class HelloOptionsValidator(IConfiguration configuration) : IValidateOptions<HelloOptions>
{
    private static readonly TimeSpan s_maxRetryBudget = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, HelloOptions options)
    {
        var failures = new ValidateOptionsResultBuilder();
        if (string.IsNullOrWhiteSpace(configuration.GetConnectionString(HelloOptions.ConnectionName)))
        {
            failures.AddError(
                $"ConnectionStrings:{HelloOptions.ConnectionName} is not set. Run the worker through the AppHost " +
                $"(dotnet run --project HelloAspire.AppHost), or set ConnectionStrings__{HelloOptions.ConnectionName} to a PostgreSQL connection string.");
        }

        if (options.ConnectRetryBudget <= TimeSpan.Zero || options.ConnectRetryBudget > s_maxRetryBudget)
        {
            failures.AddError($"Hello:ConnectRetryBudget is {options.ConnectRetryBudget}. Fix: use a duration above 00:00:00 and at most {s_maxRetryBudget}.");
        }

        return failures.Build();
    }
}

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

    /// <summary>
    /// What the worker does once it has read the row: exit, like the tutorial's app (the default), or stay up until
    /// stopped. The AppHost asks for <see cref="AfterRun.Stay"/> when it publishes: a deployed Container App is
    /// started again after every exit, so a run-once program would print hello forever.
    /// </summary>
    public AfterRun AfterRun { get; set; } = AfterRun.Exit;

    /// <summary>What this run does: read the hello row (the worker), or apply the seed scripts (the AppHost's seeding step).</summary>
    public HelloTask Task { get; set; } = HelloTask.Read;

    /// <summary>With <see cref="HelloTask.Seed"/>: the scripts, copied from the repository's seed/ into the build output.</summary>
    public string SeedDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "seed");

    /// <summary>With <see cref="AfterRun.Stay"/>: how long to wait before reading again after a failure (the database not seeded yet).</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>The <c>Hello:Task</c> setting.</summary>
public enum HelloTask
{
    /// <summary>Read the hello row and log it.</summary>
    Read,

    /// <summary>Apply seed/*.sql once each (see <see cref="HelloSeeder"/>).</summary>
    Seed,
}

/// <summary>The <c>Hello:AfterRun</c> setting.</summary>
public enum AfterRun
{
    /// <summary>Exit with the outcome's exit code (ExitCodes).</summary>
    Exit,

    /// <summary>Read until it works (every <see cref="HelloOptions.RetryInterval"/>), then stay up until stopped.</summary>
    Stay,
}

/// <summary>Fails start-up, one line per problem, when the configuration cannot work.</summary>
internal sealed class HelloOptionsValidator(IConfiguration configuration) : IValidateOptions<HelloOptions>
{
    private static readonly TimeSpan s_maxRetryBudget = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, HelloOptions options)
    {
        var failures = new ValidateOptionsResultBuilder();
        var connectionString = configuration.GetConnectionString(HelloOptions.ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            failures.AddError(
                $"ConnectionStrings:{HelloOptions.ConnectionName} is not set. Run the worker through the AppHost " +
                $"(dotnet run --project HelloAspire.AppHost), or set ConnectionStrings__{HelloOptions.ConnectionName} to a PostgreSQL connection string.");
        }
        else if (ParseError(connectionString) is { } error)
        {
            // Never echo the value: it holds the password.
            failures.AddError(
                $"ConnectionStrings:{HelloOptions.ConnectionName} is not a PostgreSQL connection string ({error}). " +
                "Fix: use the form Host=…;Port=5432;Username=…;Password=…;Database=hello (deployed: the 'hello' parameter azd asked for).");
        }

        if (options.ConnectRetryBudget <= TimeSpan.Zero || options.ConnectRetryBudget > s_maxRetryBudget)
        {
            failures.AddError($"Hello:ConnectRetryBudget is {options.ConnectRetryBudget}. Fix: use a duration above 00:00:00 and at most {s_maxRetryBudget}.");
        }

        if (options.RetryInterval <= TimeSpan.Zero || options.RetryInterval > s_maxRetryBudget)
        {
            failures.AddError($"Hello:RetryInterval is {options.RetryInterval}. Fix: use a duration above 00:00:00 and at most {s_maxRetryBudget}.");
        }

        if (!Enum.IsDefined(options.Task))
        {
            failures.AddError($"Hello:Task is {options.Task}. Fix: use Read or Seed.");
        }

        if (!Enum.IsDefined(options.AfterRun))
        {
            failures.AddError($"Hello:AfterRun is {options.AfterRun}. Fix: use Exit or Stay.");
        }

        return failures.Build();
    }

    private static string? ParseError(string connectionString)
    {
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            return null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }
}

namespace HelloAspire.Tests.Support;

/// <summary>Builds the AppHost's model without running anything, and evaluates what Aspire would pass to a resource.</summary>
public static class AppModel
{
    /// <summary>
    /// The AppHost's builder, on a user-secrets store of its own unless <paramref name="args"/> name one (a model that
    /// evaluates a generated password writes it there). A builder gives no hook at its disposal: the store, a few bytes,
    /// is deleted when the suite ends (<see cref="SuiteCleanup"/>).
    /// </summary>
    public static async Task<IDistributedApplicationTestingBuilder> CreateAsync(string[] args, CancellationToken cancellationToken) =>
        await DistributedApplicationTestingBuilder.CreateAsync<Projects.HelloAspire_AppHost>(UserSecretsStore.Own(args, out _), cancellationToken);

    public static T Resource<T>(this IDistributedApplicationTestingBuilder builder, string name) where T : IResource =>
        Assert.IsType<T>(builder.Resources.Single(r => r.Name == name), exactMatch: false);

    /// <summary>The environment the resource's callbacks produce in run mode (values unevaluated: strings or references).</summary>
    public static async Task<Dictionary<string, object>> EnvironmentAsync(IResource resource)
    {
        var environment = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource, environment);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return environment;
    }

    public static async Task<List<string>> ArgumentsAsync(IResource resource)
    {
        var arguments = new List<object>();
        var context = new CommandLineArgsCallbackContext(arguments, resource, CancellationToken.None);
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return [.. arguments.Select(a => a.ToString()!)];
    }
}

using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace HelloAspire.Hosting.Tests;

/// <summary>Bare builders and what the tests read off a resource without starting anything.</summary>
internal static class Bare
{
    /// <summary>A builder in run mode, with the given configuration; the dashboard off, as nothing is started.</summary>
    public static IDistributedApplicationBuilder Builder(params string[] settings) =>
        DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = settings, DisableDashboard = true });

    /// <summary>A builder that publishes a manifest, as <c>aspire publish</c> and azd do.</summary>
    public static IDistributedApplicationBuilder PublishingBuilder(string outputFolder, params string[] settings) =>
        Builder(["--publisher", "manifest", "--output-path", Path.Combine(outputFolder, "manifest.json"), .. settings]);

    /// <summary>The environment a resource would get, each value as its manifest expression (or its text).</summary>
    public static async Task<Dictionary<string, string?>> EnvironmentOfAsync(IResource resource, DistributedApplicationOperation operation = DistributedApplicationOperation.Run)
    {
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(operation));
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return context.EnvironmentVariables.ToDictionary(v => v.Key, v => Expression(v.Value));
    }

    /// <summary>The arguments a resource would get, each as its manifest expression (or its text).</summary>
    public static async Task<List<string?>> ArgumentsOfAsync(IResource resource)
    {
        var context = new CommandLineArgsCallbackContext([], resource);
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return [.. context.Args.Select(Expression)];
    }

    /// <summary>The connection properties of a resource, each as its manifest expression.</summary>
    public static Dictionary<string, string> PropertiesOf(IResourceWithConnectionString resource) =>
        resource.GetConnectionProperties().ToDictionary(p => p.Key, p => p.Value.ValueExpression);

    private static string? Expression(object? value) => value switch
    {
        IManifestExpressionProvider expression => expression.ValueExpression,
        _ => value?.ToString(),
    };

    /// <summary>A folder of the test's own, deleted when the test ends.</summary>
    public sealed class Folder : IDisposable
    {
        public Folder([CallerMemberName] string test = "") =>
            Path = Directory.CreateTempSubdirectory($"hosting-test-{test}-").FullName;

        public string Path { get; }

        public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    /// <summary>A logger that keeps each message it is given, in order.</summary>
    public sealed class RecordingLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}

/// <summary>A project resource that needs no project: Aspire only checks that its file exists, so it is this assembly.</summary>
internal sealed class SomeProject : IProjectMetadata
{
    public string ProjectPath => typeof(SomeProject).Assembly.Location;
}

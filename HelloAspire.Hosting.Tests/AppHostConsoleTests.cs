using HelloAspire.Hosting.AppHostConsole;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace HelloAspire.Hosting.Tests;

/// <summary>What the AppHost's console leaves to the dashboard when Aspire's lines are kept off it, on a bare builder.</summary>
public sealed class AppHostConsoleTests
{
    [Fact]
    public void KeepingAspireLinesOffTheConsoleWrapsTheConsoleLoggerOnce()
    {
        var builder = Bare.Builder().KeepAspireLinesOffTheConsole();
        using var services = ((ServiceCollection)builder.Services).BuildServiceProvider();

        var providers = services.GetServices<ILoggerProvider>().ToList();
        Assert.Single(providers.OfType<ConsoleWithoutAspireLines>());
        Assert.Empty(providers.OfType<ConsoleLoggerProvider>());
        Assert.Throws<ArgumentNullException>(() => ((IDistributedApplicationBuilder)null!).KeepAspireLinesOffTheConsole());
    }

    [Theory]
    [InlineData("Aspire.Hosting.DistributedApplication", LogLevel.Information, "Aspire AppHost version: {Version}", true)]
    [InlineData("Aspire.Hosting.DistributedApplication", LogLevel.Information, "Now listening on: {DashboardUrl}", true)]
    [InlineData("Aspire.Hosting.DistributedApplication", LogLevel.Information, "Login to the dashboard at {LoginUrl}", false)]
    [InlineData("Aspire.Hosting.DistributedApplication", LogLevel.Information, "Distributed application started. Press Ctrl+C to shut down.", false)]
    [InlineData("Aspire.Hosting.DistributedApplication", LogLevel.Warning, "Aspire AppHost version: {Version}", false)]
    [InlineData("Aspire.Hosting.ApplicationModel.ResourceNotificationService", LogLevel.Debug, "Resource {Name} changed state", false)]
    [InlineData("HelloAspire.AppHost.Database", LogLevel.Information, "PostgreSQL: {Mode}", false)]
    [InlineData("Aspire.Hosting.StopDuringStart", LogLevel.Information, "Stopping before every resource has started", false)]
    public void OnlyAspiresOwnInformationalLinesAreLeftOutAndNotTheLoginAndStartedLines(string category, LogLevel level, string template, bool leftOut)
    {
        IReadOnlyList<KeyValuePair<string, object?>> state = [new("{OriginalFormat}", template)];

        Assert.Equal(leftOut, new AspireLines(dashboardWithoutLogin: false).IsLeftOut(category, level, state));
    }

    [Fact]
    public void TheListeningLineStaysWhenTheDashboardHasNoLoginLine()
    {
        IReadOnlyList<KeyValuePair<string, object?>> state = [new("{OriginalFormat}", "Now listening on: {DashboardUrl}")];

        using var unsecured = ((ServiceCollection)Bare.Builder("--ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true").KeepAspireLinesOffTheConsole().Services).BuildServiceProvider();

        Assert.False(unsecured.GetRequiredService<AspireLines>().IsLeftOut("Aspire.Hosting.DistributedApplication", LogLevel.Information, state));
        Assert.True(new AspireLines(dashboardWithoutLogin: false).IsLeftOut("Aspire.Hosting.DistributedApplication", LogLevel.Information, state));
    }

    [Theory]
    [InlineData("Waiting for resource 'postgres' to enter the 'Running' state.", true)]
    [InlineData("Finished waiting for resource 'hello'.", true)]
    [InlineData("[sys] Starting process...: Cmd = /usr/bin/node, Args = []", true)]
    [InlineData("Executing command 'start'.", true)]
    [InlineData("Successfully executed command 'start'.", true)]
    [InlineData("Failure executing command 'start'. Error message: the server is stopped", false)]
    [InlineData("Hello world", false)]
    [InlineData("info: HelloAspire.Worker.HelloWorker[101] Hello world", false)]
    [InlineData("node-client could not read the hello row from 127.0.0.1:5432/hello: Waiting for resource", false)]
    public void OnlyTheLinesAspireAddsToAResourcesLogAreTakenForItsOwn(string line, bool aspires) =>
        Assert.Equal(aspires, AspireLines.IsAddedToResourceLog(line));
}

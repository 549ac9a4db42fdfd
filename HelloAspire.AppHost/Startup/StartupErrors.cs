namespace HelloAspire.AppHost.Startup;

/// <summary>
/// A start that the user can fix (a wrong setting, HelloAspire already running on the same data, a port taken by
/// another AppHost) ends <c>dotnet run</c> with one line and exit code 1, not an unhandled exception's stack trace.
/// Under Aspire.Hosting.Testing nothing changes: the exception reaches the test as it was thrown.
/// </summary>
public static class StartupErrors
{
    public const int ExitCode = 1;

    private static int s_registered;

    public static void ShowWithoutStackTrace()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
        {
            AppDomain.CurrentDomain.UnhandledException += (_, e) =>
            {
                if (Describe(e.ExceptionObject as Exception) is { } message)
                {
                    Console.Error.WriteLine($"error: {message}");
                    Environment.Exit(ExitCode);
                }
            };
        }
    }

    /// <summary>The line to show for an exception the user can act on; null for a real bug, which keeps its stack trace.</summary>
    public static string? Describe(Exception? exception) => exception switch
    {
        // DistributedApplication.Run() waits on a task: a fixable error from a start-up event arrives wrapped.
        AggregateException { InnerExceptions: [var single] } => Describe(single),
        DistributedApplicationException fixable => fixable.Message,
        IOException { InnerException: { } inner } when inner.GetType().Name == "AddressInUseException" =>
            $"{exception.Message} Another AppHost (HelloAspire, or any app with the same launch profile) is using the dashboard's ports. " +
            "Fix: stop it, or give this one its own ports and data (docs/local-mode.md, 'Two at once').",
        _ => null,
    };
}

namespace HelloAspire.AppHost.Startup;

/// <summary>What the AppHost's console shows: <c>Console:ShowAspireLines</c>.</summary>
public static class ConsoleSettings
{
    /// <summary>The setting (<c>--Console:ShowAspireLines=true</c>) that puts Aspire's own lines on the console too.</summary>
    public const string ShowAspireLinesSetting = "Console:ShowAspireLines";

    /// <summary>
    /// The console shows the app (the mode line, the dashboard's login line, the clients' output and how they ended,
    /// and every warning or error); Aspire's start-up lines and the waits it writes into the clients' logs stay in the
    /// dashboard, unless <see cref="ShowAspireLinesSetting"/> is true.
    /// </summary>
    public static IDistributedApplicationBuilder ShowTheAppOnTheConsole(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var showAspireLines = BoolSetting.Parse(builder.Configuration[ShowAspireLinesSetting], ShowAspireLinesSetting, $"use --{ShowAspireLinesSetting}=true or false.") ?? false;
        return showAspireLines ? builder : builder.KeepAspireLinesOffTheConsole();
    }
}

using System.Diagnostics;

#pragma warning disable ASPIRETERMINAL001 // Aspire 13.6's terminal dock is experimental; WithRepl, its own psql console, is built on it.

namespace HelloAspire.Hosting.PostgreSQL;

/// <summary>
/// The <c>psql</c> command that every mode shares: psql, signed in, in a tab of the dashboard's terminal dock. The
/// password reaches psql in its environment, never on a command line (which every local user can read) or in the
/// tab's title (which the dashboard shows and Aspire logs).
/// </summary>
internal static class PsqlConsole
{
    /// <summary>The terminal's program, arguments and the variables it needs; <see cref="Variables"/> holds the password.</summary>
    internal sealed record Launch(string Executable, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Variables, string WorkingDirectory);

    public static IResourceBuilder<T> Add<T>(IResourceBuilder<T> builder, string databaseName, Func<ExecuteCommandContext, Task<Launch>> launch, Func<CustomResourceSnapshot, bool> isAvailable)
        where T : IResource
    {
        return builder.WithCommand(PsqlConsoleExtensions.CommandName, "psql", async context =>
        {
            // The dashboard's button follows the state, but the CLI (aspire resource … psql) runs the command whatever it is.
            if (context.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState(context.ResourceName, out var current)
                && !isAvailable(current.Snapshot))
            {
                return CommandResults.Failure($"{context.ResourceName} is not running ({current.Snapshot.State?.Text ?? "not started"}). Fix: start it, then open psql again.");
            }

            Launch how;
            try
            {
                how = await launch(context);
            }
            catch (DistributedApplicationException ex)
            {
                return CommandResults.Failure(ex.Message);
            }

            var options = new TerminalLaunchOptions
            {
                Title = $"psql ({databaseName})",
                Executable = how.Executable,
                Arguments = [.. how.Arguments],
                WorkingDirectory = how.WorkingDirectory,
            };
            foreach (var (name, value) in how.Variables)
            {
                options.EnvironmentVariables[name] = value;
            }

            var terminal = context.Services.GetRequiredService<TerminalService>().CreateTerminal(options);
            terminal.Start();
            terminal.Show();
            // The terminal's id is the command's result: a script or a test reaches the session through it.
            return CommandResults.Success($"psql on {databaseName} is open in the terminal dock.", terminal.Id, CommandResultFormat.Text, displayImmediately: false);
        }, new CommandOptions
        {
            Description = $"Open psql on the {databaseName} database in the dashboard's terminal dock, signed in with the app's credentials. Anyone signed in to the dashboard can use it.",
            IconName = "WindowConsole",
            UpdateState = context => isAvailable(context.ResourceSnapshot) ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });
    }

    /// <summary>Whether the server is running and healthy, as its snapshot says: one that is still starting refuses logins.</summary>
    public static bool IsRunning(CustomResourceSnapshot snapshot) =>
        snapshot.State?.Text == KnownResourceStates.Running && snapshot.HealthStatus is null or Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy;

    /// <summary>
    /// <paramref name="startInfo"/> (a program with its whole environment chosen: see <c>ServerAccount.ToolStartInfo</c>)
    /// as a terminal launch. A terminal's program inherits the AppHost's environment, and variables can only be added to
    /// it, so <c>env -u</c> takes out each inherited one that the program was not given: by name, never a value. psql's
    /// input and tables in UTF-8, whatever the AppHost's locale (a server's tools run in the C locale).
    /// </summary>
    public static Launch WithOnlyItsOwnEnvironment(ProcessStartInfo startInfo)
    {
        var own = startInfo.Environment.Where(v => v.Value is not null).ToDictionary(v => v.Key, v => v.Value!);
        own["TERM"] = "xterm-256color";
        own["LC_ALL"] = "C.UTF-8";
        if (OperatingSystem.IsWindows())
        {
            return new(startInfo.FileName, [.. startInfo.ArgumentList], own, startInfo.WorkingDirectory);
        }

        var unset = Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(name => !own.ContainsKey(name)).Order(StringComparer.Ordinal);
        // The system's env, not whichever the AppHost's PATH finds first: it receives the password.
        return new(EnvPath, [.. unset.SelectMany(name => new[] { "-u", name }), "--", startInfo.FileName, .. startInfo.ArgumentList], own, startInfo.WorkingDirectory);
    }

    private const string EnvPath = "/usr/bin/env";
}

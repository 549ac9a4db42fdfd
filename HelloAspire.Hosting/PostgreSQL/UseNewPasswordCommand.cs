using HelloAspire.Hosting.PostgreSQL;

namespace Aspire.Hosting;

/// <summary>
/// The server's <c>use-new-password</c> command (a button on the dashboard, <c>aspire resource postgres
/// use-new-password</c>): the fix for a changed password parameter that keeps the data. The server is stopped (it
/// usually is: kept data that refuses the password stops it, in every mode alike, with one line that offers this
/// command first), the superuser's password in the data is set to the one the parameter holds now, through
/// PostgreSQL's single-user mode on the stopped data (no network, no login, the password on standard input), and the
/// server starts again; the clients that waited for it go on. The next start needs nothing.
/// </summary>
public static class UseNewPasswordCommand
{
    public const string Name = "use-new-password";

    /// <summary>
    /// Offers the command on <paramref name="builder"/>'s server, with a confirmation that names <paramref name="data"/>
    /// and <paramref name="passwordParameter"/>; <paramref name="takeNewPassword"/> sets the password on the stopped data.
    /// A start whose health check finds the password refused is stopped and shown as failed, with the line that offers
    /// the command (a run that ends with its clients ends there, with exit code 1).
    /// </summary>
    public static IResourceBuilder<T> WithUseNewPasswordCommand<T>(
        this IResourceBuilder<T> builder, string data, ParameterResource passwordParameter, Func<CancellationToken, Task> takeNewPassword)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(data);
        ArgumentNullException.ThrowIfNull(passwordParameter);
        ArgumentNullException.ThrowIfNull(takeNewPassword);
        RefusedPasswordWatch.StartBeforeResources(builder.ApplicationBuilder, new(builder.Resource, data, passwordParameter));
        return builder.WithCommand(Name, "Use new password", context => StoppedDataCommand.RunAsync(builder.Resource, takeNewPassword, context,
            "The data keeps its old password", $"The data now takes the password in Parameters:{passwordParameter.Name}."), new CommandOptions
        {
            Description = $"Keep the data, and give it the password that Parameters:{passwordParameter.Name} holds now (after the parameter was changed). The server is stopped, its password set, and started again.",
            ConfirmationMessage = $"Set the password of the data in {data} to the one in Parameters:{passwordParameter.Name} now, and start the server? Nothing is deleted; the old password stops working.",
            IconName = "Key",
            UpdateState = StoppedDataCommand.UpdateState,
        });
    }

    /// <summary>
    /// What kept data made with another password says in every mode, after its own cause: the three fixes, the one that
    /// keeps the data first. <paramref name="reset"/> is how this server's data is reset.
    /// </summary>
    public static string MismatchFix(string server, ParameterResource passwordParameter, string reset)
    {
        ArgumentException.ThrowIfNullOrEmpty(server);
        ArgumentNullException.ThrowIfNull(passwordParameter);
        ArgumentException.ThrowIfNullOrEmpty(reset);
        return $"Fix: keep the data and give it this password (the dashboard's Use new password, or 'aspire resource {server} {Name}'); " +
            $"or set Parameters:{passwordParameter.Name} back to the one the data was made with; or {reset}, which deletes the data.";
    }

    /// <summary>
    /// The run that sets the password, the same in every mode: postgres's arguments for single-user mode on the data in
    /// <paramref name="dataPath"/>, and the statement for its standard input (never its command line).
    /// </summary>
    internal static (string[] Arguments, string Input) SingleUserRun(string dataPath, string userName, string password) =>
        (["--single", "-D", dataPath, "-c", "password_encryption=scram-sha-256", "postgres"], SetPasswordStatement(userName, password));

    /// <summary>The statement that sets the superuser's password, for PostgreSQL's single-user mode (one line, on standard input).</summary>
    internal static string SetPasswordStatement(string userName, string password) =>
        $"ALTER ROLE \"{userName.Replace("\"", "\"\"", StringComparison.Ordinal)}\" PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}';\n";

    /// <summary>Single-user mode reports a failed statement on standard error and still exits 0.</summary>
    internal static bool Failed(string errors) =>
        errors.Contains("ERROR:", StringComparison.Ordinal) || errors.Contains("FATAL:", StringComparison.Ordinal);
}

#pragma warning disable ASPIRETERMINAL001 // The terminal dock is experimental in Aspire 13.6; the psql command is built on it.

namespace HelloAspire.Tests.Support;

/// <summary>
/// The dashboard's psql command, driven as a user drives it but without a browser: the command is run, and the
/// terminal it opened (its id is the command's result) is typed into and read through Aspire's terminal automation.
/// </summary>
public static class PsqlConsoleSession
{
    private static readonly TimeSpan s_promptTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_answerTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Opens psql on <paramref name="resource"/>, runs the hello query, and quits: the screen it showed.</summary>
    public static async Task<string> QueryHelloAsync(DistributedApplication app, string resource, string database, CancellationToken cancellationToken)
    {
        var opened = await app.ResourceCommands.ExecuteCommandAsync(resource, PsqlConsoleExtensions.CommandName, cancellationToken);
        Assert.True(opened.Success, $"The psql command on {resource} failed: {opened.Message}");
        var terminals = app.Services.GetRequiredService<TerminalService>();
        Assert.True(terminals.TryGetTerminal(opened.Data!.Value, out var terminal), $"No terminal has the id the psql command returned ({opened.Data.Value}).");
        await using (terminal)
        {
            await WaitForAsync(terminal, $"{database}=#", s_promptTimeout, cancellationToken);
            await terminal.SendTextAsync("SELECT message FROM hello;\r", cancellationToken);
            await WaitForAsync(terminal, "(1 row)", s_answerTimeout, cancellationToken);
            var screen = terminal.GetScreenText();
            await terminal.SendTextAsync("\\q\r", cancellationToken);
            return screen;
        }
    }

    /// <summary>The terminal's wait, whose failure shows what the screen held instead.</summary>
    private static async Task WaitForAsync(AspireTerminal terminal, string text, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await terminal.WaitForTextAsync(text, timeout, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"psql's terminal did not show '{text}' within {timeout.TotalSeconds} s. Its screen:{Environment.NewLine}{terminal.GetScreenText()}", ex);
        }
    }
}

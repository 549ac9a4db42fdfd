namespace HelloAspire.Hosting.PostgreSQL;

/// <summary>The server's password, where a step cannot go on without it: one line that says where to set it.</summary>
internal static class PasswordParameterValue
{
    /// <summary>The value of <paramref name="parameter"/>; without one, the exception <paramref name="error"/> makes of that line.</summary>
    public static async Task<string> RequiredAsync(ParameterResource parameter, Func<string, Exception> error, CancellationToken cancellationToken) =>
        await parameter.GetValueAsync(cancellationToken)
            ?? throw error($"The password parameter '{parameter.Name}' has no value. Fix: set Parameters:{parameter.Name} in the AppHost's user secrets.");
}

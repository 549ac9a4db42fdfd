namespace HelloAspire.AppHost.Startup;

/// <summary>A true-or-false setting, read the one way every such setting of the AppHost is read.</summary>
internal static class BoolSetting
{
    /// <summary>Null when unset; a value that is neither true nor false stops the start with one line: the setting, its value and <paramref name="fix"/>.</summary>
    public static bool? Parse(string? value, string key, string fix) =>
        string.IsNullOrEmpty(value) ? null
        : bool.TryParse(value, out var result) ? result
        : throw new DistributedApplicationException($"{key} is '{value}'. Fix: {fix}");
}

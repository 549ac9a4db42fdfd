namespace HelloAspire.Tests.Support;

/// <summary>The command lines of the machine's processes, from /proc, their arguments joined by spaces.</summary>
public static class ProcessCommandLines
{
    public static List<string> Read()
    {
        var lines = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
        {
            try
            {
                lines.Add(File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we read.
            }
        }

        return lines;
    }
}

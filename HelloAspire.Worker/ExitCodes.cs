namespace HelloAspire.Worker;

/// <summary>The worker's exit codes (docs/troubleshooting.md).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Unexpected = 1;
    public const int BadConfiguration = 2;
    public const int DatabaseUnreachable = 3;
    public const int TableMissing = 4;
    public const int TableEmpty = 5;
    public const int AuthenticationFailed = 6;
    public const int DatabaseMissing = 7;
    public const int SeedFailed = 8;
    public const int DatabaseNotAnswering = 9;
}

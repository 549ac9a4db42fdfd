namespace HelloAspire.Tests.Support;

/// <summary>
/// Every process command line seen on the machine from its start to <see cref="StopAsync"/> (read every 50 ms), and
/// the user ids and environment variable names of the psql processes without arguments among them (the console's:
/// other tests run psql with them).
/// </summary>
public sealed class CommandLineWatch : IDisposable
{
    private readonly CancellationTokenSource _done = new();
    private readonly Task<List<string>> _reading;
    private readonly HashSet<string> _psqlUserIds = [];
    private readonly HashSet<string> _psqlEnvironmentNames = [];

    public CommandLineWatch() => _reading = Task.Run(async () =>
    {
        var seen = new HashSet<string>();
        while (!_done.IsCancellationRequested)
        {
            seen.UnionWith(ProcessCommandLines.Read());
            lock (_psqlUserIds)
            {
                foreach (var (userId, environmentNames) in ProcessCommandLines.BareRunsOf("psql"))
                {
                    _psqlUserIds.Add(userId);
                    _psqlEnvironmentNames.UnionWith(environmentNames);
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None);
        }

        return seen.ToList();
    }, CancellationToken.None);

    public async Task<List<string>> StopAsync()
    {
        await _done.CancelAsync();
        return await _reading;
    }

    public IReadOnlyList<string> PsqlUserIds
    {
        get
        {
            lock (_psqlUserIds)
            {
                return [.. _psqlUserIds];
            }
        }
    }

    public IReadOnlyList<string> PsqlEnvironmentNames
    {
        get
        {
            lock (_psqlUserIds)
            {
                return [.. _psqlEnvironmentNames.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Ends the reading also when the test failed before <see cref="StopAsync"/>.</summary>
    public void Dispose()
    {
        _done.Cancel();
        _done.Dispose();
    }
}

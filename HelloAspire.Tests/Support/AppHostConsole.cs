using System.Diagnostics;

namespace HelloAspire.Tests.Support;

/// <summary>
/// The AppHost's console, both streams read from its start to its end (an unread pipe that fills up would block the
/// AppHost's logging, and with it its shutdown): standard output line by line, standard error whole.
/// </summary>
public sealed class AppHostConsole
{
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource _workerEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _lineAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AppHostConsole(Process appHost)
    {
        Reading = ReadAsync(appHost.StandardOutput);
        Errors = appHost.StandardError.ReadToEndAsync();
        var id = appHost.Id;
        FailureReport.Current?.Add($"AppHost process {id}: its console", () => string.Join(Environment.NewLine, Lines));
        FailureReport.Current?.Add($"AppHost process {id}: its standard error", () => Errors.IsCompleted ? Errors.Result : "(still open)");
    }

    /// <summary>Completes when the AppHost's standard output is closed.</summary>
    public Task Reading { get; }

    /// <summary>All of the AppHost's standard error, once it is closed.</summary>
    public Task<string> Errors { get; }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The lines so far, once the AppHost has said that the worker ended.</summary>
    public async Task<IReadOnlyList<string>> WaitForWorkerToEndAsync(CancellationToken cancellationToken)
    {
        await _workerEnded.Task.WaitAsync(cancellationToken);
        return Lines;
    }

    /// <summary>Waits until <paramref name="count"/> lines match <paramref name="match"/> (the console's end fails the wait).</summary>
    public async Task WaitForLineAsync(Func<string, bool> match, int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task added;
            lock (_lines)
            {
                if (_lines.Count(match) >= count)
                {
                    return;
                }

                added = _lineAdded.Task;
            }

            if (Reading.IsCompleted)
            {
                throw new InvalidOperationException($"The AppHost's console ended before the line awaited:{Environment.NewLine}{Tail(40)}");
            }

            await Task.WhenAny(added, Reading).WaitAsync(cancellationToken);
        }
    }

    public string Tail(int count) => string.Join(Environment.NewLine, Lines.TakeLast(count));

    private async Task ReadAsync(StreamReader output)
    {
        while (await output.ReadLineAsync() is { } line)
        {
            TaskCompletionSource added;
            lock (_lines)
            {
                _lines.Add(line);
                added = _lineAdded;
                _lineAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            added.TrySetResult();

            if (line.Contains("worker ended", StringComparison.Ordinal))
            {
                _workerEnded.TrySetResult();
            }
        }

        _workerEnded.TrySetException(new InvalidOperationException($"The AppHost's console ended before the worker did:{Environment.NewLine}{Tail(40)}"));
    }
}

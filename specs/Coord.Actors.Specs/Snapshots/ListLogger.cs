using Microsoft.Extensions.Logging;

namespace Coord.Actors.Specs.Snapshots;

/// <summary>Keeps every log entry so specs can check what was warned about.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly Lock _gate = new();
    private readonly List<(LogLevel Level, int EventId, string Message)> _entries = [];
    private readonly List<(Func<(LogLevel Level, int EventId, string Message), bool> Match, TaskCompletionSource Seen)> _waiters = [];

    /// <summary>Completes once an entry matching <paramref name="match"/> is logged (or already was); faults after <paramref name="timeout"/>.</summary>
    public Task WaitForAsync(Func<(LogLevel Level, int EventId, string Message), bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_entries.Any(match)) return Task.CompletedTask;
            _waiters.Add((match, seen));
        }
        return seen.Task.WaitAsync(timeout);
    }

    public IReadOnlyList<(LogLevel Level, int EventId, string Message)> Entries { get { lock (_gate) return _entries.ToList(); } }

    public IReadOnlyList<string> Warnings => Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).ToList();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var entry = (logLevel, eventId.Id, formatter(state, exception));
        lock (_gate)
        {
            _entries.Add(entry);
            foreach (var (match, seen) in _waiters)
                if (match(entry)) seen.TrySetResult();
            _waiters.RemoveAll(w => w.Seen.Task.IsCompleted);
        }
    }
}

/// <summary>A fresh directory per spec, removed afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("coord-snap-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

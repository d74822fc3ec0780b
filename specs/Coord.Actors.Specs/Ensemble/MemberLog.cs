using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Coord.Actors.Specs.Ensemble;

/// <summary>
/// The loggers of one ensemble member: every entry is kept (specs ask whether an event id was logged) and written
/// to the test output with the member's id and the time since the harness started, so a failing spec shows each
/// member's story (role changes, sync, truncation). Lines logged after the test ended are dropped.
/// </summary>
internal sealed class MemberLog(long member, ITestOutputHelper? output, Stopwatch since, LogLevel written = LogLevel.Information) : ILoggerFactory
{
    private readonly Lock _gate = new();
    private readonly List<(int EventId, string Message)> _entries = [];

    /// <summary>Whether an entry with this event id was logged (since the member first started).</summary>
    public bool Logged(int eventId)
    {
        lock (_gate) return _entries.Any(e => e.EventId == eventId);
    }

    /// <summary>The messages of every entry with this event id, oldest first.</summary>
    public IReadOnlyList<string> Messages(int eventId)
    {
        lock (_gate) return [.. _entries.Where(e => e.EventId == eventId).Select(e => e.Message)];
    }

    /// <summary>Writes a line of the spec's own story (what it does to the ensemble) in the same output.</summary>
    public void Note(string line) => Write($"spec: {line}");

    private void Add(LogLevel level, int eventId, string category, string message, Exception? error)
    {
        lock (_gate) _entries.Add((eventId, message));
        if (level >= written) Write($"{level} {category}[{eventId}] {message}{(error is null ? "" : " — " + error.GetBaseException().Message)}");
    }

    private void Write(string line)
    {
        if (output is null) return;
        try { output.WriteLine($"{since.ElapsedMilliseconds,6} ms m{member} {line}"); }
        catch (InvalidOperationException) { } // the test is over; an actor still winding down logged
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();
    public void Dispose() { }

    private sealed class Logger(MemberLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Add(logLevel, eventId.Id, category, formatter(state, exception), exception);
    }
}

using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Coord.Actors.Settings;
using Microsoft.Extensions.Logging;

namespace Coord.Host.Cli;

/// <summary>
/// The server's log sink: one line per entry on standard output, in the shape of the SimpleConsole
/// formatter with <c>SingleLine</c> and UTC timestamps (<c>2026-01-01T00:00:00.000Z info: Category[id] text</c>),
/// exception text on the lines after.
/// Why not <c>LoggerFactory.Create(b => b.AddSimpleConsole())</c>: that builds a dependency-injection container,
/// options monitors and formatters, about 25 ms of a ~200 ms start on a 2-core machine. This provider is
/// built directly and does the same job.
/// Threads: loggers only format and queue (never block on the console); one background thread writes, in
/// order (a thread, not a pool task: a console pipe nobody drains must not hold a pool thread). When <see cref="QueuedLinesMax"/> lines are waiting, further lines are dropped and counted, as the
/// console logger's bounded queue does. <see cref="Dispose"/> writes what is queued before returning.
/// With <see cref="LogFormat.Json"/> (coord.logging.format = json) each entry is one JSON object on one line:
/// timestamp, level, category, event_id, message, the message template's named values under "state", and
/// exception when there is one — what log shippers parse without a pattern.
/// </summary>
public sealed class ConsoleLineLoggerProvider : ILoggerProvider
{
    public const int QueuedLinesMax = 2500;

    private readonly TextWriter _out;
    private readonly LogFormat _format;
    private readonly BlockingCollection<string> _lines = new(QueuedLinesMax);
    private readonly Thread _writer;
    private long _dropped;

    public ConsoleLineLoggerProvider(TextWriter output, LogFormat format = LogFormat.Line)
    {
        _out = output;
        _format = format;
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "coord-log" };
        _writer.Start();
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    private void Enqueue(string line)
    {
        try
        {
            if (!_lines.TryAdd(line)) Interlocked.Increment(ref _dropped);
        }
        catch (InvalidOperationException) { } // disposed: the server is gone
    }

    private void WriteLoop()
    {
        foreach (var line in _lines.GetConsumingEnumerable())
        {
            long dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0)
            {
                string text = $"{dropped} log lines dropped: the console did not keep up";
                _out.Write(_format == LogFormat.Json
                    ? JsonLine(LogLevel.Warning, "Coord.Logging", 0, text, null, null)
                    : $"{Timestamp()}warn: Coord.Logging[0] {text}{Environment.NewLine}");
            }
            _out.Write(line);
            if (_lines.Count == 0) _out.Flush();
        }
        _out.Flush();
    }

    public void Dispose()
    {
        _lines.CompleteAdding();
        _writer.Join(TimeSpan.FromSeconds(2));
    }

    private static string Timestamp() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One entry as one JSON object and a newline; the message's named values (not its template) under "state".</summary>
    private static string JsonLine(LogLevel level, string category, int eventId, string message, object? state, Exception? exception)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("level", level.ToString());
            json.WriteString("category", category);
            json.WriteNumber("event_id", eventId);
            json.WriteString("message", message);
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                json.WriteStartObject("state");
                foreach (var (key, value) in values)
                {
                    if (key == "{OriginalFormat}") continue;
                    switch (value)
                    {
                        case null: json.WriteNull(key); break;
                        case bool b: json.WriteBoolean(key, b); break;
                        case int or long or short or byte or uint or ulong or double or float or decimal:
                            json.WriteNumber(key, Convert.ToDecimal(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                        default: json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                    }
                }
                json.WriteEndObject();
            }
            if (exception is not null) json.WriteString("exception", exception.ToString());
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n";
    }

    private static string LevelText(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private sealed class Logger(ConsoleLineLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // Levels are filtered by the factory (LoggerFilterOptions.MinLevel).
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            if (provider._format == LogFormat.Json)
            {
                provider.Enqueue(JsonLine(logLevel, category, eventId.Id, formatter(state, exception), state, exception));
                return;
            }
            var line = new StringBuilder(128)
                .Append(Timestamp()).Append(LevelText(logLevel)).Append(": ")
                .Append(category).Append('[').Append(eventId.Id).Append("] ")
                .Append(formatter(state, exception).ReplaceLineEndings(" "));
            if (exception is not null) line.AppendLine().Append(exception);
            line.AppendLine();
            provider.Enqueue(line.ToString());
        }
    }
}

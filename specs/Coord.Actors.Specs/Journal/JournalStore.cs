using Coord.Actors.Journal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Specs.Journal;

/// <summary>A temp data dir for one spec, with raw SQLite access to damage or inspect the journal file behind the journal's back.</summary>
internal sealed class JournalStore : IDisposable
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory("coord-journal-").FullName;
    public string DbPath => SqliteJournal.PathIn(DataDir);

    public int Execute(string sql, params (string Name, object Value)[] args)
    {
        using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return cmd.ExecuteNonQuery();
    }

    public long Scalar(string sql)
    {
        using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A real SQLite error inside the journal's insert transaction, raised when the txn at <paramref name="zxid"/> is written.</summary>
    public void FailInsertOf(long zxid) =>
        Execute($"CREATE TRIGGER fail_insert BEFORE INSERT ON txns WHEN NEW.zxid = {zxid} BEGIN SELECT RAISE(ABORT, 'injected by spec'); END");

    public void Dispose()
    {
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } // best effort: a failed spec may still hold the file
    }
}

/// <summary>Keeps log entries so specs can assert what an operator would read.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly Lock _gate = new();
    private readonly List<(LogLevel Level, EventId Id, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, EventId Id, string Message)> Entries { get { lock (_gate) return [.. _entries]; } }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_gate) _entries.Add((logLevel, eventId, formatter(state, exception)));
    }
}

using Coord.Actors.Journal;
using Coord.Actors.Txns;
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

    /// <summary>
    /// Writes a journal as builds before epochs did (format version 1, commit 270a8ac): the same tables, meta
    /// holding only the format version and the purge point, one checksummed row per txn.
    /// </summary>
    public void CreateVersion1(IEnumerable<SequencedTxn> txns, long purgedThrough = 0)
    {
        Execute("PRAGMA journal_mode=WAL");
        Execute("""
            CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE txns(zxid INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, type INTEGER NOT NULL,
                              payload BLOB NOT NULL, crc INTEGER NOT NULL);
            """);
        Execute("INSERT INTO meta(key, value) VALUES ('format_version', 1), ('purged_through', $p)", ("$p", purgedThrough));
        foreach (var txn in txns)
        {
            byte[] payload = TxnCodec.ToBytes(txn);
            long zxid = txn.Header.Zxid;
            int type = (int)txn.Body.Type;
            Execute("INSERT INTO txns(zxid, epoch, type, payload, crc) VALUES ($z, $e, $t, $p, $c)",
                ("$z", zxid), ("$e", zxid >>> 32), ("$t", type), ("$p", payload), ("$c", (long)JournalRecord.Checksum(zxid, type, payload)));
        }
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

using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Coord.Actors.Journal;

public sealed partial class SqliteJournal
{
    /// <summary>
    /// The row and meta layout this build writes. Bump it (with a migration) whenever either changes.
    /// Version 2 added the epochs (<see cref="MetaAcceptedEpoch"/>, <see cref="MetaCurrentEpoch"/>); a version 1
    /// journal is upgraded in place when opened (<c>SqliteJournal.Epochs.cs</c>).
    /// </summary>
    public const long FormatVersion = 2;

    /// <summary>The layout before epochs: rows as today, meta holding the format version and the purge point only.</summary>
    public const long FormatVersion1 = 1;

    private const string MetaFormatVersion = "format_version";
    private const string MetaPurgedThrough = "purged_through";
    private const string MetaAcceptedEpoch = "accepted_epoch";
    private const string MetaCurrentEpoch = "current_epoch";

    /// <summary>SQLite's answer to <c>PRAGMA synchronous</c> for FULL.</summary>
    private const long SynchronousFull = 2;

    private const int SqliteNotADatabase = 26;
    private const int SqliteCorrupt = 11;

    internal static SqliteConnection OpenConnection(string path, SqliteOpenMode mode)
    {
        // No pooling: disposing must really close the file, or a reopen (recovery, specs) would reuse a handle.
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString();
        var conn = new SqliteConnection(cs);
        conn.Open();
        return conn;
    }

    /// <summary>Sets the pragmas and creates or checks the schema; returns the format version found (a new file gets <see cref="FormatVersion"/>).</summary>
    private static long ConfigureAndCheckSchema(SqliteConnection conn, string path)
    {
        try
        {
            string mode = Scalar<string>(conn, "PRAGMA journal_mode=WAL");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new IOException($"journal {path}: SQLite refused WAL mode (got '{mode}')");
            Execute(conn, "PRAGMA synchronous=FULL");
            if (Scalar<long>(conn, "PRAGMA synchronous") != SynchronousFull)
                throw new IOException($"journal {path}: SQLite refused synchronous=FULL");
            return CreateOrCheckSchema(conn, path);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteNotADatabase or SqliteCorrupt)
        {
            throw new JournalCorruptException(
                $"journal {path} is not a readable SQLite database ({ex.Message}). Coord did not change it. " +
                "If it is not a Coord journal, move it out of the data dir; if it is, restore the data dir from a replica or a backup.",
                path, inner: ex);
        }
    }

    private static long CreateOrCheckSchema(SqliteConnection conn, string path)
    {
        var tables = new HashSet<string>(StringComparer.Ordinal);
        using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
            using var r = cmd.ExecuteReader();
            while (r.Read()) tables.Add(r.GetString(0));
        }
        if (tables.Count == 0)
        {
            using var tx = conn.BeginTransaction();
            Execute(conn, """
                CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                CREATE TABLE txns(zxid INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, type INTEGER NOT NULL,
                                  payload BLOB NOT NULL, crc INTEGER NOT NULL);
                """, tx);
            SetMeta(conn, tx, MetaFormatVersion, FormatVersion);
            SetMeta(conn, tx, MetaPurgedThrough, 0);
            SetMeta(conn, tx, MetaAcceptedEpoch, 0);
            SetMeta(conn, tx, MetaCurrentEpoch, 0);
            tx.Commit();
            return FormatVersion;
        }
        if (!tables.Contains("meta") || !tables.Contains("txns"))
            throw new JournalCorruptException(
                $"{path} is a SQLite database but not a Coord journal (tables: {string.Join(", ", tables.Order())}). " +
                "Coord did not change it; move it out of the data dir.", path);
        long? version = GetMeta(conn, MetaFormatVersion);
        if (version is not (FormatVersion1 or FormatVersion))
            throw new JournalCorruptException(
                $"journal {path} has format version {version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}; " +
                $"this build reads versions {FormatVersion1} and {FormatVersion}. Run the Coord release that wrote it, or restore the data dir from a replica or a backup.",
                path);
        return version.Value;
    }

    internal static long? GetMeta(SqliteConnection conn, string key, SqliteTransaction? tx = null)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() is long v ? v : null;
    }

    private static void SetMeta(SqliteConnection conn, SqliteTransaction tx, string key, long value)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO meta(key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// The append statement, prepared once on the connection's own handle and driven through SQLite's C API
    /// (bind, step, reset): an append is the hot path of every write on every member, and the ADO.NET
    /// command allocated a reader, a binder per parameter and a boxed value per column for each txn.
    /// </summary>
    private static sqlite3_stmt PrepareInsert(SqliteConnection conn)
    {
        int rc = raw.sqlite3_prepare_v2(conn.Handle, "INSERT INTO txns(zxid, epoch, type, payload, crc) VALUES (?1, ?2, ?3, ?4, ?5)", out var stmt);
        SqliteException.ThrowExceptionForRC(rc, conn.Handle);
        return stmt;
    }

    private static void Execute(SqliteConnection conn, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static T Scalar<T>(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return (T)cmd.ExecuteScalar()!;
    }
}

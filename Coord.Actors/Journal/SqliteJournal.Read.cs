using Coord.Actors.Txns;
using Microsoft.Data.Sqlite;

namespace Coord.Actors.Journal;

public sealed partial class SqliteJournal
{
    /// <summary>Streams intact txns after <paramref name="afterZxid"/>; a damaged row throws <see cref="JournalCorruptException"/>.</summary>
    public IEnumerable<SequencedTxn> ReadAfter(long afterZxid)
    {
        JournalOrder.CheckReadable(afterZxid, Volatile.Read(ref _purgedThroughZxid));
        return ReadAfterIterator(_path, afterZxid);
    }

    private static IEnumerable<SequencedTxn> ReadAfterIterator(string path, long afterZxid)
    {
        using var conn = OpenConnection(path, SqliteOpenMode.ReadOnly);
        foreach (var entry in ReadEntries(conn, afterZxid, descending: false))
        {
            if (entry.Txn is null)
                throw new JournalCorruptException(
                    $"journal {path}: txn 0x{entry.Zxid:x} is damaged ({entry.Problem}); reopen the journal to recover " +
                    "a torn tail, or restore the data dir from a replica or a backup", path, entry.Zxid);
            yield return entry.Txn;
        }
    }

    /// <summary>
    /// Every stored row of the journal in <paramref name="dataDir"/>, checked, oldest first, without
    /// recovering or changing anything (operator tools). Throws <see cref="FileNotFoundException"/> when
    /// there is no journal and <see cref="JournalCorruptException"/> when the file is not one.
    /// </summary>
    public static IEnumerable<JournalEntry> Inspect(string dataDir)
    {
        string path = PathIn(dataDir);
        if (!File.Exists(path)) throw new FileNotFoundException($"no journal at {path}", path);
        return InspectIterator(path);
    }

    private static IEnumerable<JournalEntry> InspectIterator(string path)
    {
        using var conn = OpenConnection(path, SqliteOpenMode.ReadOnly);
        try
        {
            // Read-only: a version 1 journal is shown as it is (the server upgrades it when it opens it).
            if (GetMeta(conn, MetaFormatVersion) is var v && v is not (FormatVersion1 or FormatVersion))
                throw new JournalCorruptException($"journal {path} has format version {v}; this build reads {FormatVersion1} and {FormatVersion}", path);
        }
        catch (SqliteException ex)
        {
            throw new JournalCorruptException($"{path} is not a readable Coord journal ({ex.Message})", path, inner: ex);
        }
        foreach (var entry in ReadEntries(conn, long.MinValue, descending: false)) yield return entry;
    }

    /// <param name="decode">Asked per row: false checks the checksum and columns only, and the entry holds no txn.</param>
    private static IEnumerable<JournalEntry> ReadEntries(SqliteConnection conn, long afterZxid, bool descending, Func<bool>? decode = null)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT zxid, epoch, type, payload, crc FROM txns WHERE zxid > $after ORDER BY zxid " + (descending ? "DESC" : "ASC");
        cmd.Parameters.AddWithValue("$after", afterZxid);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            // A damaged row may hold the wrong storage class (say, text where a blob belongs): report it, do not crash.
            byte[] payload = r.IsDBNull(3) ? [] : r.GetFieldValue<byte[]>(3);
            yield return decode is null || decode()
                ? JournalRecord.Check(r.GetInt64(0), r.GetInt64(1), r.GetInt32(2), payload, r.GetInt64(4))
                : JournalRecord.CheckSum(r.GetInt64(0), r.GetInt64(1), r.GetInt32(2), payload, r.GetInt64(4));
        }
    }
}

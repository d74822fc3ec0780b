using Coord.Actors.Journal;
using Microsoft.Data.Sqlite;

namespace Coord.Specs.Support;

/// <summary>
/// Damages a closed SQLite journal the way a crash or a bad disk would, for fault injection
/// (<see cref="FaultInjectingJournal"/>) and the operator-tool specs. Never called by the server.
/// </summary>
public static class SqliteJournalDamage
{
    /// <summary>
    /// Leaves the txn at <paramref name="zxid"/> half-written: the payload keeps its first half and the
    /// stored checksum no longer matches, as when power fails in the middle of writing the record.
    /// </summary>
    public static void TearTxn(string dataDir, long zxid)
    {
        // No pooling: the journal reopens the file right after, and a pooled handle would outlive this call.
        var cs = new SqliteConnectionStringBuilder { DataSource = SqliteJournal.PathIn(dataDir), Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        using var conn = new SqliteConnection(cs.ToString());
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "UPDATE txns SET payload = substr(payload, 1, length(payload) / 2) WHERE zxid = $z";
        cmd.Parameters.AddWithValue("$z", zxid);
        if (cmd.ExecuteNonQuery() != 1) throw new InvalidOperationException($"no txn 0x{zxid:x} in the journal in {dataDir} to tear");
    }
}

using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Journal;

public sealed partial class SqliteJournal
{
    /// <summary>How many torn zxids a warning lists by value before it only counts them.</summary>
    private const int TornZxidsListedMax = 10;

    private readonly record struct RecoveredState(long FirstZxid, long LastZxid, long PurgedThroughZxid);

    /// <summary>
    /// Checks every row from the newest backwards. Damaged rows at the very end (after the last intact one)
    /// are what a crash in the middle of writing leaves, so they are dropped; a damaged row with intact rows
    /// after it is not explained by a crash (bit rot, a bad disk, an edited file), and dropping it would lose
    /// writes that were acknowledged, so opening stops there without changing the file. The full scan costs
    /// one read of the journal, which retention keeps to the txns since the last snapshots.
    /// </summary>
    private static RecoveredState Recover(SqliteConnection conn, string path, ILogger log)
    {
        long purgedThrough = GetMeta(conn, MetaPurgedThrough) ?? 0;
        var torn = new List<JournalEntry>();
        JournalEntry? newestIntact = null;
        long firstZxid = 0;
        // Rows older than the newest intact one need only their checksum (damage); decoding them all again
        // was most of the scan (the rows replayed after the snapshot are decoded and checked in full anyway).
        foreach (var entry in ReadEntries(conn, afterZxid: long.MinValue, descending: true, decode: () => newestIntact is null))
        {
            firstZxid = entry.Zxid;
            if (newestIntact is null)
            {
                if (entry.Intact) newestIntact = entry;
                else torn.Add(entry);
                continue;
            }
            if (!entry.Intact)
                throw new JournalCorruptException(
                    $"journal {path}: txn 0x{entry.Zxid:x} is damaged ({entry.Problem}), but intact txns follow it " +
                    $"through 0x{newestIntact.Zxid:x}. That is not a torn tail from a crash, and dropping it would lose " +
                    "acknowledged writes, so Coord will not start on this journal and did not change it. " +
                    "Restore the data dir from a replica (in an ensemble: move it away and let this server resync) " +
                    $"or from a backup; `coord journal dump {System.IO.Path.GetDirectoryName(path)}` (or `coord verify`) shows every damaged txn.",
                    path, entry.Zxid);
        }
        if (torn.Count > 0) DropTornTail(conn, path, log, torn, newestIntact?.Zxid ?? purgedThrough);
        long last = Math.Max(newestIntact?.Zxid ?? 0, purgedThrough);
        return new RecoveredState(newestIntact is null ? 0 : firstZxid, last, purgedThrough);
    }

    private static void DropTornTail(SqliteConnection conn, string path, ILogger log, List<JournalEntry> torn, long keepThroughZxid)
    {
        using (var tx = conn.BeginTransaction())
        {
            using var cmd = conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM txns WHERE zxid > $z";
            cmd.Parameters.AddWithValue("$z", keepThroughZxid);
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
        torn.Reverse();
        string zxids = string.Join(", ", torn.Take(TornZxidsListedMax).Select(e => $"0x{e.Zxid:x}"))
                       + (torn.Count > TornZxidsListedMax ? $" and {torn.Count - TornZxidsListedMax} more" : "");
        LogTornTailDropped(log, path, torn.Count, zxids, torn[0].Problem ?? "", keepThroughZxid);
    }
}

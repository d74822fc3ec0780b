using Coord.Actors.Tree;
using Coord.Protocol;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Journal;

/// <summary>The state a server starts from: the tree, the snapshot it came from (0 = none) and the journal replay.</summary>
public sealed record RecoveryResult(DataTree Tree, long SnapshotZxid, long LastZxid, int TxnsReplayed)
{
    public override string ToString() =>
        $"recovered to 0x{LastZxid:x}: snapshot 0x{SnapshotZxid:x} + {TxnsReplayed} txns, {Tree.NodeCount} nodes, {Tree.Sessions.Count} sessions";
}

/// <summary>The stored state cannot be trusted: the server must not start. The message says what was found and what to do.</summary>
public sealed class RecoveryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Startup recovery: the newest valid snapshot (or a fresh tree), then every journal txn after it through
/// <see cref="DataTree.Apply"/> in zxid order. Refuses to start rather than serve a state with a hole in it:
/// when the journal's first txn after the snapshot does not follow it (the txns between were purged and the
/// snapshot that covered them is gone), or when a txn does not apply.
/// </summary>
public static partial class Recovery
{
    public static RecoveryResult Recover(SnapshotStore snapshots, IJournal journal, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(log);

        var skipped = new List<(SnapshotFile File, string Reason)>();
        var loaded = snapshots.LoadNewestValid(skipped);
        var tree = loaded?.Tree ?? new DataTree();
        long snapshotZxid = tree.LastAppliedZxid;
        string found = Describe(snapshots, loaded, skipped);
        if (journal.LastDurableZxid < snapshotZxid) LogJournalBehind(log, journal.LastDurableZxid, snapshotZxid);

        int replayed = 0;
        long previous = snapshotZxid;
        using (var txns = OpenJournal(journal, snapshotZxid, found))
        {
            while (Next(txns, previous, found) is { } txn)
            {
                long zxid = txn.Header.Zxid;
                if (replayed > 0 && !Follows(previous, zxid))
                    throw new RecoveryException(
                        $"cannot recover: {found}; the journal skips from 0x{previous:x} to 0x{zxid:x}, so txns are missing in the " +
                        "middle of it. The journal is damaged: run `coord verify` on the data directory, then restore it from a " +
                        "backup, or wipe this server's data and let it sync from the ensemble.");
                if (replayed == 0 && !Follows(snapshotZxid, zxid))
                    throw new RecoveryException(
                        $"cannot recover: {found}, but the journal's first txn after it is 0x{zxid:x}, not the next after 0x{snapshotZxid:x}. " +
                        "The txns in between were purged and the snapshot that covered them is missing or corrupt. " +
                        "Restore the missing snapshot into the data directory, or wipe this server's data and let it sync from the ensemble.");
                try
                {
                    tree.Apply(txn);
                }
                catch (InvalidOperationException e)
                {
                    throw new RecoveryException(
                        $"cannot recover: {found}; journal txn 0x{zxid:x} ({txn.Body.Type}) does not apply to the state at 0x{previous:x}: {e.Message}. " +
                        "The snapshot and journal disagree. Move the newest snapshot aside to replay from an older one, " +
                        "or wipe this server's data and let it sync from the ensemble.", e);
                }
                previous = zxid;
                replayed++;
            }
        }
        var result = new RecoveryResult(tree, snapshotZxid, tree.LastAppliedZxid, replayed);
        LogRecovered(log, result.SnapshotZxid, result.TxnsReplayed, result.LastZxid, tree.NodeCount, tree.Sessions.Count);
        return result;
    }

    /// <summary>
    /// True when <paramref name="next"/> may directly follow <paramref name="previous"/>: the next counter in the
    /// same epoch, or the first txn of a later epoch (a new leader starts its counter again at 1).
    /// </summary>
    public static bool Follows(long previous, long next)
    {
        var p = new Zxid(previous);
        var n = new Zxid(next);
        return next == previous + 1 || (n.Epoch > p.Epoch && n.Counter == 1);
    }

    private static IEnumerator<Txns.SequencedTxn> OpenJournal(IJournal journal, long afterZxid, string found)
    {
        try
        {
            return journal.ReadAfter(afterZxid).GetEnumerator();
        }
        catch (InvalidOperationException e)
        {
            throw GapFrom(e, found, afterZxid);
        }
    }

    // A journal may report that it no longer holds what was asked for when reading starts or lazily on the first move.
    private static Txns.SequencedTxn? Next(IEnumerator<Txns.SequencedTxn> txns, long previous, string found)
    {
        try
        {
            return txns.MoveNext() ? txns.Current : null;
        }
        catch (InvalidOperationException e)
        {
            throw GapFrom(e, found, previous);
        }
    }

    private static RecoveryException GapFrom(InvalidOperationException e, string found, long afterZxid) => new(
        $"cannot recover: {found}, but the journal cannot supply the txns after 0x{afterZxid:x}: {e.Message}. " +
        "The snapshot that covered the purged txns is missing or corrupt. Restore it into the data directory, " +
        "or wipe this server's data and let it sync from the ensemble.", e);

    private static string Describe(SnapshotStore store, LoadedSnapshot? loaded, List<(SnapshotFile File, string Reason)> skipped)
    {
        string skips = skipped.Count == 0 ? "" : "; skipped " + string.Join("; ", skipped.Select(s => $"{s.File}: {s.Reason}"));
        return loaded is null
            ? $"no valid snapshot in {store.Directory}{skips}"
            : $"newest valid snapshot is {loaded.File}{skips}";
    }
}

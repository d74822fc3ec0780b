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
/// <see cref="DataTree.Apply"/> in zxid order (<see cref="Replay"/>, the loop <c>coord verify</c> runs too). Refuses to start rather than serve a state with a hole in it:
/// when the journal's first txn after the snapshot does not follow it (the txns between were purged and the
/// snapshot that covered them is gone), or when a txn does not apply. An install of the leader's snapshot that a
/// crash interrupted is finished or discarded first (<see cref="InstallSnapshotAsync"/>).
/// </summary>
public static partial class Recovery
{
    public static RecoveryResult Recover(SnapshotStore snapshots, IJournal journal, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(log);
        FinishOrDiscardInstall(snapshots, journal, log);
        var result = Load(snapshots, journal, long.MaxValue, "cannot recover", log);
        LogRecovered(log, result.SnapshotZxid, result.TxnsReplayed, result.LastZxid, result.Tree.NodeCount, result.Tree.Sessions.Count);
        return result;
    }

    /// <summary>
    /// The state as of <paramref name="throughZxid"/> from what is stored, changing nothing: the newest valid
    /// snapshot at or below it, then the journal's txns after that snapshot up to and including it. The tree
    /// ends at the last stored zxid at or below <paramref name="throughZxid"/>. Refuses as
    /// <see cref="Recover"/> does (<see cref="RecoveryException"/>) when that state has a hole in it.
    /// <see cref="TruncateAfterAsync"/> uses it; with <see cref="long.MaxValue"/> it is <see cref="Recover"/>.
    /// </summary>
    public static RecoveryResult Rebuild(SnapshotStore snapshots, IJournal journal, long throughZxid, ILogger log) =>
        Load(snapshots, journal, throughZxid, $"cannot rebuild the state at 0x{throughZxid:x}", log);

    private static RecoveryResult Load(SnapshotStore snapshots, IJournal journal, long throughZxid, string cannot, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(log);

        var skipped = new List<(SnapshotFile File, string Reason)>();
        var loaded = snapshots.LoadNewestValid(skipped, throughZxid);
        var tree = loaded?.Tree ?? new DataTree();
        long snapshotZxid = tree.LastAppliedZxid;
        string found = Describe(snapshots, loaded, skipped, throughZxid);
        if (journal.LastDurableZxid < snapshotZxid) LogJournalBehind(log, journal.LastDurableZxid, snapshotZxid);

        ReplayOutcome outcome;
        try
        {
            var txns = journal.ReadAfter(snapshotZxid);
            outcome = Replay(tree, throughZxid == long.MaxValue ? txns : txns.TakeWhile(t => t.Header.Zxid <= throughZxid));
        }
        catch (InvalidOperationException e)
        {
            // The journal no longer holds what was asked for (purged): said when reading starts or on a later move.
            throw GapFrom(e, cannot, found, tree.LastAppliedZxid);
        }
        switch (outcome.Stop)
        {
            case ReplayGap gap when outcome.Applied == 0:
                throw new RecoveryException(
                    $"{cannot}: {found}, but the journal's first txn after it is 0x{gap.NextZxid:x}, not the next after 0x{snapshotZxid:x}. " +
                    "The txns in between were purged and the snapshot that covered them is missing or corrupt. " +
                    "Restore the missing snapshot into the data directory, or wipe this server's data and let it sync from the ensemble.");
            case ReplayGap gap:
                throw new RecoveryException(
                    $"{cannot}: {found}; the journal skips from 0x{gap.PreviousZxid:x} to 0x{gap.NextZxid:x}, so txns are missing in the " +
                    "middle of it. The journal is damaged: run `coord verify` on the data directory, then restore it from a " +
                    "backup, or wipe this server's data and let it sync from the ensemble.");
            case ReplayNotApplied bad:
                throw new RecoveryException(
                    $"{cannot}: {found}; journal txn 0x{bad.Txn.Header.Zxid:x} ({bad.Txn.Body.Type}) does not apply to the state at 0x{bad.PreviousZxid:x}: {bad.Error.Message}. " +
                    "The snapshot and journal disagree. Move the newest snapshot aside to replay from an older one, " +
                    "or wipe this server's data and let it sync from the ensemble.", bad.Error);
        }
        return new RecoveryResult(tree, snapshotZxid, tree.LastAppliedZxid, outcome.Applied);
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

    private static RecoveryException GapFrom(InvalidOperationException e, string cannot, string found, long afterZxid) => new(
        $"{cannot}: {found}, but the journal cannot supply the txns after 0x{afterZxid:x}: {e.Message}. " +
        "The snapshot that covered the purged txns is missing or corrupt. Restore it into the data directory, " +
        "or wipe this server's data and let it sync from the ensemble.", e);

    private static string Describe(SnapshotStore store, LoadedSnapshot? loaded, List<(SnapshotFile File, string Reason)> skipped, long throughZxid)
    {
        string skips = skipped.Count == 0 ? "" : "; skipped " + string.Join("; ", skipped.Select(s => $"{s.File}: {s.Reason}"));
        string bound = throughZxid == long.MaxValue ? "" : $" at or below 0x{throughZxid:x}";
        return loaded is null
            ? $"no valid snapshot{bound} in {store.Directory}{skips}"
            : $"newest valid snapshot{bound} is {loaded.File}{skips}";
    }
}

using Microsoft.Extensions.Logging;

namespace Coord.Actors.Journal;

/// <summary>
/// A tail truncation could not be done without losing state that must be kept, and nothing was changed. The
/// message says what was found; the way out is a full resync from a snapshot (Zab's SNAP).
/// </summary>
public sealed class TruncationRefusedException(string message, Exception? inner = null) : Exception(message, inner);

public static partial class Recovery
{
    /// <summary>
    /// Zab's TRUNC on this member's stored state: drops every txn after <paramref name="zxid"/> and returns the
    /// tree rebuilt to match, equal to the tree replayed from scratch to <paramref name="zxid"/> (it ends at the
    /// last stored zxid at or below it). The caller replaces its tree with the result; it must not append,
    /// write snapshots or apply while this runs (a follower does this during sync, before it serves).
    /// <para>
    /// Snapshots newer than <paramref name="zxid"/> are deleted, not ignored: they hold txns that no longer
    /// exist, and a restart's <see cref="Recover"/> loads the newest valid snapshot, so ignoring them now would
    /// bring the dropped txns back later.
    /// </para>
    /// <para>
    /// Order, so that a crash at any point leaves a state that recovers consistently: (1) the tree is rebuilt
    /// from what is stored, changing nothing, and any hole in it refuses with
    /// <see cref="TruncationRefusedException"/>; (2) newer snapshots are deleted and the directory fsynced;
    /// (3) the journal is truncated, durably. A crash between (2) and (3) recovers from an older snapshot plus
    /// the untruncated journal, i.e. the state before the truncation, which the leader truncates again.
    /// </para>
    /// Also refused, before anything changes: when a snapshot newer than <paramref name="zxid"/> exists but the
    /// journal ends before <paramref name="zxid"/>, since txns up to <paramref name="zxid"/> may then exist only
    /// in that snapshot. An I/O error from the journal faults the task as the journal reports it.
    /// </summary>
    public static async ValueTask<RecoveryResult> TruncateAfterAsync(
        SnapshotStore snapshots, IJournal journal, long zxid, ILogger log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentOutOfRangeException.ThrowIfNegative(zxid);

        var newer = snapshots.List().Where(f => f.Zxid > zxid).ToList();
        if (newer.Count > 0 && journal.LastDurableZxid < zxid)
            throw new TruncationRefusedException(
                $"cannot truncate after 0x{zxid:x}: the journal ends at 0x{journal.LastDurableZxid:x}, so txns up to 0x{zxid:x} " +
                $"may exist only in {newer[^1]}, which truncation would delete. Nothing was changed; resync this member from a snapshot.");

        RecoveryResult rebuilt;
        try
        {
            rebuilt = Rebuild(snapshots, journal, zxid, log);
        }
        catch (RecoveryException e)
        {
            throw new TruncationRefusedException($"{e.Message} Nothing was changed; resync this member from a snapshot.", e);
        }

        var deleted = snapshots.DeleteNewerThan(zxid);
        await journal.TruncateAfterAsync(zxid, ct).ConfigureAwait(false);
        LogTruncated(log, zxid, deleted.Count, rebuilt.SnapshotZxid, rebuilt.TxnsReplayed, rebuilt.LastZxid);
        return rebuilt;
    }
}

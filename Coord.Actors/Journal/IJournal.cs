using Coord.Actors.Txns;

namespace Coord.Actors.Journal;

/// <summary>
/// The durable, ordered log of committed txns (event sourcing: the tree is a fold over it).
/// Contract: batches are appended in strictly increasing zxid order; the task of <see cref="AppendAsync"/>
/// completes only when every txn of the batch is durable, and a write is acknowledged to its client only
/// after that. The caller keeps at most one append in flight, so a slow fsync naturally groups the txns
/// that arrive meanwhile into the next batch (group commit). The call itself never blocks on I/O. A failed
/// append faults the task with an <see cref="IOException"/>; after that the journal accepts nothing more.
/// An out-of-order batch is a caller bug: it is refused with <see cref="InvalidOperationException"/>
/// (thrown or faulted) and nothing of it is written.
/// <para>
/// Concurrency: one caller at a time for <see cref="AppendAsync"/>, <see cref="TruncateAfterAsync"/>,
/// <see cref="PurgeThroughAsync"/>, <see cref="ResetToAsync"/>, <see cref="SetAcceptedEpochAsync"/> and
/// <see cref="SetCurrentEpochAsync"/>,
/// each awaited before the next. <see cref="ReadAfter"/> is for
/// recovery and sync; reading while an append is in flight is not part of the contract (an
/// implementation may allow it, as <see cref="SqliteJournal"/> does through WAL snapshots).
/// </para>
/// </summary>
public interface IJournal : IAsyncDisposable
{
    /// <summary>
    /// Appends a batch; the task completes when all of it is durable. The journal may read
    /// <paramref name="batch"/> on another thread until then: the caller must not change it meanwhile.
    /// </summary>
    ValueTask AppendAsync(IReadOnlyList<SequencedTxn> batch, CancellationToken ct = default);

    /// <summary>
    /// <see cref="AppendAsync"/> for a caller that wants no task and no hand-off: true when the batch is
    /// already durable on return (<paramref name="onDone"/> is then not called); otherwise
    /// <paramref name="onDone"/> is called exactly once, later, on any thread (for <see cref="SqliteJournal"/>
    /// its writer thread), with null once the batch is durable or with the error that failed it. It must be
    /// quick and must not block: telling an actor is what it is for. Refusals throw, as
    /// <see cref="AppendAsync"/>'s do.
    /// </summary>
    bool Append(IReadOnlyList<SequencedTxn> batch, Action<Exception?> onDone)
    {
        var append = AppendAsync(batch);
        if (append.IsCompleted)
        {
            append.GetAwaiter().GetResult(); // throws a synchronous failure
            return true;
        }
        append.AsTask().ContinueWith(t => onDone(t.Exception?.GetBaseException()),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return false;
    }

    /// <summary>Highest zxid known durable (0 when nothing was ever appended); purging does not lower it.</summary>
    long LastDurableZxid { get; }

    /// <summary>Lowest zxid the journal still holds (0 when it holds none).</summary>
    long FirstZxid { get; }

    /// <summary>
    /// Txns with zxid greater than <paramref name="afterZxid"/>, in order (recovery). Asking for txns that
    /// were purged is an error (<see cref="InvalidOperationException"/>), not a silent gap.
    /// </summary>
    IEnumerable<SequencedTxn> ReadAfter(long afterZxid);

    /// <summary>
    /// Drops every txn with zxid greater than <paramref name="zxid"/>: a divergent, never-committed tail
    /// (the ensemble's TRUNC). Durable when the task completes. Cutting into purged history is refused.
    /// Afterwards <see cref="LastDurableZxid"/> is the last txn kept (or the purge point) and appends may
    /// continue just above it. This touches the journal only: <see cref="Recovery.TruncateAfterAsync"/> also
    /// deletes newer snapshots and rebuilds the tree to match.
    /// </summary>
    ValueTask TruncateAfterAsync(long zxid, CancellationToken ct = default);

    /// <summary>
    /// Drops every txn with zxid up to and including <paramref name="zxid"/> (retention once a snapshot
    /// covers them). <see cref="LastDurableZxid"/> stays; later appends still must be above it.
    /// </summary>
    ValueTask PurgeThroughAsync(long zxid, CancellationToken ct = default);

    /// <summary>
    /// Drops every txn, whatever its zxid, and makes the journal continue at <paramref name="zxid"/>: the state a
    /// member is in once it installed a snapshot at <paramref name="zxid"/> (Zab's SNAP; see
    /// <see cref="Recovery.InstallSnapshotAsync"/>). Afterwards <see cref="LastDurableZxid"/> is
    /// <paramref name="zxid"/> (also when that is lower than before), <see cref="FirstZxid"/> is 0, the next
    /// append must be above <paramref name="zxid"/>, <see cref="ReadAfter"/> of <paramref name="zxid"/> yields
    /// nothing and of anything below it is refused as purged. A durable journal records it as its purge point
    /// in one atomic write with the deletion, so a crash leaves either the journal as it was or the reset one,
    /// and a reopen sees the same; durable when the task completes. The epochs are not touched. A negative
    /// zxid is refused with <see cref="ArgumentOutOfRangeException"/> before anything is written. Ordered with
    /// appends and truncations (one writer).
    /// </summary>
    ValueTask ResetToAsync(long zxid, CancellationToken ct = default);

    /// <summary>
    /// Zab's acceptedEpoch: the newest epoch this member has accepted a NEWEPOCH for (a leader: the epoch it
    /// proposed). The value last made durable; 0 for a fresh journal. Never below <see cref="CurrentEpoch"/>.
    /// </summary>
    long AcceptedEpoch { get; }

    /// <summary>
    /// Zab's currentEpoch: the newest epoch this member has acknowledged NEWLEADER for, i.e. whose leader's
    /// history it has adopted. The value last made durable; 0 for a fresh journal.
    /// </summary>
    long CurrentEpoch { get; }

    /// <summary>
    /// Records <paramref name="epoch"/> as <see cref="AcceptedEpoch"/>, durable (fsynced) when the task
    /// completes: a follower must not send ACKEPOCH, nor a leader use the epoch, before that. Setting the
    /// value it already has is allowed (a re-sent NEWEPOCH) and changes nothing. Epochs never go backward:
    /// a lower value is refused with <see cref="InvalidOperationException"/>, a value outside
    /// 0..<see cref="JournalOrder.EpochMax"/> with <see cref="ArgumentOutOfRangeException"/>, both thrown or
    /// faulted before anything is written. Ordered with appends and truncations (one writer).
    /// </summary>
    ValueTask SetAcceptedEpochAsync(long epoch, CancellationToken ct = default);

    /// <summary>
    /// Records <paramref name="epoch"/> as <see cref="CurrentEpoch"/>, durable when the task completes: a
    /// follower acknowledges NEWLEADER only after that. It must not exceed <see cref="AcceptedEpoch"/> (accept
    /// the epoch first) nor go below the current value: either is refused with
    /// <see cref="InvalidOperationException"/> before anything is written; setting the same value again is allowed.
    /// </summary>
    ValueTask SetCurrentEpochAsync(long epoch, CancellationToken ct = default);
}

namespace Coord.Actors.Replication;

/// <summary>One configured member: voting (participant) or not (observer).</summary>
public sealed record ReplicationMember(long Id, bool Observer);

/// <summary>
/// The protocol's clocks, in milliseconds of the caller's monotonic clock (the core reads no clock).
/// <see cref="InitLimitMs"/> bounds connecting and syncing to a leader (ZooKeeper's initLimit × tickTime);
/// <see cref="SyncLimitMs"/> bounds silence on an established link (syncLimit × tickTime): a learner that hears
/// nothing from its leader for that long looks for another; a leader that hears from less than a quorum for that
/// long steps down, so a leader cut off from the majority stops within the sync limit.
/// </summary>
public sealed record ReplicationTiming(
    int ElectionResendMs = 200,
    int FinalizeWaitMs = 200,
    int InitLimitMs = 20_000,
    int SyncLimitMs = 10_000,
    int HeartbeatMs = 1_000)
{
    /// <summary>ZooKeeper's timing from tickTime, initLimit and syncLimit (heartbeats at half a tick, as its leader pings).</summary>
    public static ReplicationTiming FromTicks(int tickMs, int initLimitTicks, int syncLimitTicks) =>
        new(ElectionResendMs: Math.Clamp(tickMs / 10, 20, 200), FinalizeWaitMs: Math.Clamp(tickMs / 10, 20, 200),
            InitLimitMs: tickMs * initLimitTicks, SyncLimitMs: tickMs * syncLimitTicks, HeartbeatMs: Math.Max(1, tickMs / 2));
}

/// <summary>
/// The static member list and this member's id. Safety comes only from quorums over this list (a majority of
/// the voters), never from Akka.Cluster's view of who is up.
/// </summary>
/// <param name="WindowTxnsMax">Committed txns the log window keeps: a learner behind it syncs by SNAP.</param>
/// <param name="WindowHotTxns">The newest txns of the window kept as objects; older committed and applied ones are kept
/// encoded (<see cref="TxnWindow"/>), so the window's bulk is a few large buffers rather than objects that all die in gen2.</param>
/// <param name="SyncBatchTxnsMax">Txns per proposal in a DIFF.</param>
/// <param name="SnapshotChunkBytes">The size the host cuts a snapshot into for SNAP (the core streams whatever pieces
/// it is given): small enough that a piece and a proposal batch fit Akka.Remote's frame, big enough that per-message
/// costs vanish.</param>
/// <param name="SnapshotChunksInFlightMax">Snapshot pieces a leader sends a learner before it acknowledges the first
/// of them: enough to keep the link busy, few enough that a leader holds little beyond the snapshot itself.</param>
public sealed record ReplicationConfig(long SelfId, IReadOnlyList<ReplicationMember> Members, ReplicationTiming Timing,
    int WindowTxnsMax = 100_000, int SyncBatchTxnsMax = 1_000, int SnapshotChunkBytes = ReplicationConfig.SnapshotChunkBytesDefault,
    int SnapshotChunksInFlightMax = 4, int WindowHotTxns = TxnWindow.HotTxnsDefault)
{
    public const int SnapshotChunkBytesDefault = 1 << 20;

    public IEnumerable<long> VoterIds => Members.Where(m => !m.Observer).Select(m => m.Id);
    public int VoterCount => Members.Count(m => !m.Observer);

    /// <summary>Votes or acknowledgements that make a majority of the voters.</summary>
    public int Quorum => VoterCount / 2 + 1;

    public bool IsVoter(long id) => Members.Any(m => m.Id == id && !m.Observer);
    public bool IsMember(long id) => Members.Any(m => m.Id == id);
    public bool SelfIsObserver => !IsVoter(SelfId);

    public void Validate()
    {
        if (!IsMember(SelfId)) throw new ArgumentException($"member {SelfId} is not in the member list");
        if (VoterCount == 0) throw new ArgumentException("the member list has no voting member");
        if (Members.Select(m => m.Id).Distinct().Count() != Members.Count) throw new ArgumentException("member ids repeat");
        if (WindowTxnsMax < 1 || SyncBatchTxnsMax < 1) throw new ArgumentException("window and sync batch must hold at least one txn");
        if (SnapshotChunkBytes < 1) throw new ArgumentException($"a snapshot chunk must hold at least one byte (given {SnapshotChunkBytes})");
        if (WindowHotTxns < 0) throw new ArgumentException($"the window's hot part cannot be negative (given {WindowHotTxns})");
        if (SnapshotChunksInFlightMax < 1) throw new ArgumentException($"at least one snapshot chunk must be in flight (given {SnapshotChunksInFlightMax})");
    }
}

/// <summary>
/// What a member's disk holds when its core starts: the epochs, and the journal's txns after
/// <see cref="TailAfterZxid"/> (the newest snapshot's zxid, or 0), which the tree has replayed — possibly
/// including a tail that was never committed; sync with the leader truncates it if so.
/// </summary>
public sealed record DurableState(long AcceptedEpoch, long CurrentEpoch, long TailAfterZxid, IReadOnlyList<Txns.SequencedTxn> Tail)
{
    public long LastZxid => Tail.Count > 0 ? Tail[^1].Header.Zxid : TailAfterZxid;
    public static DurableState Empty { get; } = new(0, 0, 0, []);
}

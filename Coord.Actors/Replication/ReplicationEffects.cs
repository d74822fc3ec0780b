using Coord.Actors.Txns;

namespace Coord.Actors.Replication;

/// <summary>
/// What the core asks its host to do, in order. Contract: the persist effects (<see cref="PersistAcceptedEpoch"/>,
/// <see cref="PersistCurrentEpoch"/>, <see cref="AppendLog"/>, <see cref="TruncateLog"/>,
/// <see cref="InstallSnapshot"/>) are carried out in the order given (consecutive appends may share one fsync),
/// and the host calls <see cref="ReplicationCore.Persisted"/> once per persist effect, in that order, when it is
/// durable. Sends go out right away (the core emits a send that must follow durability only once it was told).
/// <see cref="Apply"/> holds committed txns to apply to the tree in order, after any earlier tree-changing
/// effect (truncate, install) took hold.
/// </summary>
public abstract record ReplicationEffect;

public sealed record Send(long To, PeerMessage Message) : ReplicationEffect
{
    public override string ToString() => $"send {To}: {Message}";
}

public sealed record PersistAcceptedEpoch(long Epoch) : ReplicationEffect;

public sealed record PersistCurrentEpoch(long Epoch) : ReplicationEffect;

public sealed record AppendLog(IReadOnlyList<SequencedTxn> Txns) : ReplicationEffect
{
    public override string ToString() => $"append {Txns.Count} txns through 0x{Txns[^1].Header.Zxid:x}";
}

/// <summary>
/// Drop every txn after <see cref="Zxid"/> from the journal, and rebuild the tree from what is left through
/// <see cref="TreeThroughZxid"/> (what this member had applied, at most <see cref="Zxid"/>): the tree holds only
/// committed txns, so journaled ones not yet committed are not replayed into it.
/// </summary>
public sealed record TruncateLog(long Zxid, long TreeThroughZxid) : ReplicationEffect;

/// <summary>
/// Replace journal and tree with the leader's snapshot at <see cref="Zxid"/>, whose <see cref="Count"/> pieces the host
/// was handed as <see cref="SnapshotPiece"/>s just before; later appends follow it. The host checks the whole snapshot
/// (its checksum included) before anything is replaced.
/// </summary>
public sealed record InstallSnapshot(long Zxid, int Count) : ReplicationEffect
{
    public override string ToString() => $"install snapshot at 0x{Zxid:x} ({Count} chunks)";
}

/// <summary>
/// Learner: piece <see cref="Index"/> of the <see cref="Count"/> pieces of the leader's snapshot at <see cref="Zxid"/>
/// arrived, in order (index 0 starts a new snapshot). Not a persist: the host may stage and parse it at once, but nothing
/// replaces the member's state before <see cref="InstallSnapshot"/>.
/// </summary>
public sealed record SnapshotPiece(long Zxid, int Index, int Count, object Chunk) : ReplicationEffect
{
    public override string ToString() => $"snapshot piece {Index + 1}/{Count} of 0x{Zxid:x}";
}

/// <summary>Learner: the snapshot whose pieces were arriving will not be installed (the link broke); the host drops what it holds of it.</summary>
public sealed record SnapshotAbandoned(long Zxid, int Received, int Count) : ReplicationEffect
{
    public override string ToString() => $"snapshot at 0x{Zxid:x} abandoned after {Received}/{Count} pieces";
}

/// <summary>
/// Still looking for a leader after <see cref="ForMs"/> (said every few seconds while it lasts, for the operator): the
/// round, whom this member votes for, and what the others last said (member: leader named, state, round). A member
/// that hears nothing back is cut off or refused by its peers' transport; one that hears but does not join says why.
/// </summary>
public sealed record StillLooking(long Round, long ForMs, string Vote, string Heard) : ReplicationEffect
{
    public override string ToString() => $"still looking after {ForMs} ms in round {Round}: votes {Vote}; heard {Heard}";
}

/// <summary>Committed txns to apply, in zxid order, continuing from the last applied.</summary>
public sealed record Apply(IReadOnlyList<SequencedTxn> Txns) : ReplicationEffect
{
    public override string ToString() => $"apply {Txns.Count} txns through 0x{Txns[^1].Header.Zxid:x}";
}

/// <summary>
/// Leader: serialize the tree as it is now applied for this link (the sync of a learner too far behind the log the
/// leader keeps): <see cref="ReplicationCore.SnapshotStarted"/> with the snapshot's zxid and piece count, then each
/// piece through <see cref="ReplicationCore.SnapshotChunkReady"/> as it is cut (or all at once,
/// <see cref="ReplicationCore.SnapshotTaken"/>). The host cuts pieces that each fit a frame
/// (<see cref="ReplicationConfig.SnapshotChunkBytes"/>).
/// </summary>
public sealed record TakeSnapshot(long Member, long LinkId) : ReplicationEffect;

/// <summary>
/// The member's role changed. <see cref="Serving"/>: a leader established with a quorum, or a learner synced and
/// up to date; only then may the host serve clients. Looking: close client connections, stop sequencing.
/// </summary>
public sealed record RoleChanged(PeerState State, long LeaderId, long Epoch, bool Serving, string Reason) : ReplicationEffect;

/// <summary>Something a member forwarded (on the leader) or the leader sent back (on a learner).</summary>
public sealed record Delivered(long From, object Payload) : ReplicationEffect;

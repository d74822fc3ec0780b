using Coord.Actors.Txns;

namespace Coord.Actors.Replication;

/// <summary>What a member says it is doing, in election notifications (ZooKeeper's ServerState).</summary>
public enum PeerState : byte
{
    Looking = 0,
    Following = 1,
    Leading = 2,
    Observing = 3,
}

/// <summary>Every message one member's replication core sends another (the peer protocol, Zab-style).</summary>
public abstract record PeerMessage;

/// <summary>
/// An election notification (ZooKeeper's FastLeaderElection): the sender's vote for <see cref="Leader"/>, whose
/// history ends at <see cref="Zxid"/> and whose currentEpoch is <see cref="Epoch"/>, in election round
/// <see cref="Round"/>; <see cref="State"/> is the sender's own state. A member that is not looking answers a
/// looking one with the leader it follows or is.
/// </summary>
public sealed record Vote(long Leader, long Zxid, long Epoch, long Round, PeerState State) : PeerMessage
{
    public bool SameVote(Vote other) => Leader == other.Leader && Zxid == other.Zxid && Epoch == other.Epoch;

    /// <summary>ZooKeeper's totalOrderPredicate: the newer history wins — (epoch, zxid, id) compared in that order.</summary>
    public bool BetterThan(Vote other) =>
        Epoch > other.Epoch || (Epoch == other.Epoch && (Zxid > other.Zxid || (Zxid == other.Zxid && Leader > other.Leader)));

    public override string ToString() => $"vote {Leader} (zxid 0x{Zxid:x}, epoch {Epoch}) round {Round} {State}";
}

/// <summary>
/// A message on one leader↔learner link. A link is opened by the learner (<see cref="FollowerInfo"/>) with an id
/// of its choosing; each direction numbers its messages 1, 2, 3, ... Akka.Remote may drop a message but never
/// reorders a pair, so a gap means the link is broken: the learner goes back to looking and re-syncs; nothing is
/// ever skipped.
/// </summary>
public abstract record LinkMessage(long LinkId, long Seq) : PeerMessage;

/// <summary>Learner → leader: open a link; the learner's acceptedEpoch and whether it is an observer.</summary>
public sealed record FollowerInfo(long LinkId, long Seq, long AcceptedEpoch, bool Observer) : LinkMessage(LinkId, Seq);

/// <summary>Leader → learner: the new epoch (ZooKeeper's LEADERINFO / NEWEPOCH).</summary>
public sealed record LeaderInfo(long LinkId, long Seq, long Epoch) : LinkMessage(LinkId, Seq);

/// <summary>
/// Learner → leader, once the new epoch is durable as accepted: its currentEpoch and history (last zxid), and
/// the lowest zxid it can truncate back to (its oldest usable snapshot).
/// </summary>
public sealed record AckEpoch(long LinkId, long Seq, long CurrentEpoch, long LastZxid, long TruncateFloor) : LinkMessage(LinkId, Seq);

/// <summary>Leader → learner: drop every txn after <see cref="Zxid"/> (a divergent, never-committed tail).</summary>
public sealed record Trunc(long LinkId, long Seq, long Zxid) : LinkMessage(LinkId, Seq);

/// <summary>
/// Leader → learner: piece <see cref="Index"/> (from 0) of the <see cref="Count"/> pieces of the leader's snapshot of its
/// tree at <see cref="Zxid"/> (SNAP). The pieces travel in order, at most a window of them unacknowledged; once the last
/// one arrived the learner replaces its state with the whole snapshot. <see cref="Chunk"/> is opaque to the core (the
/// shell's bytes, the simulator's piece of its snapshot).
/// </summary>
public sealed record SnapChunk(long LinkId, long Seq, long Zxid, int Index, int Count, object Chunk) : LinkMessage(LinkId, Seq)
{
    public override string ToString() => $"snap chunk link {LinkId} seq {Seq}: {Index + 1}/{Count} of 0x{Zxid:x}";
}

/// <summary>Learner → leader: snapshot piece <see cref="Index"/> arrived (flow control; the leader sends the next ones).</summary>
public sealed record SnapChunkAck(long LinkId, long Seq, int Index) : LinkMessage(LinkId, Seq);

/// <summary>
/// Leader → learner: the leader dropped this link (a message lost on the way to it, a message on a link it no longer
/// knows, or one it did not expect); open a new link at once instead of waiting out the sync limit. Honoured whatever
/// its sequence number (a link the leader no longer knows has none: 0), as long as the link id is the learner's own.
/// </summary>
public sealed record LinkReset(long LinkId, long Seq, string Reason) : LinkMessage(LinkId, Seq);

/// <summary>Leader → learner: txns to journal, in zxid order (sync DIFF and broadcast alike).</summary>
public sealed record Proposal(long LinkId, long Seq, IReadOnlyList<SequencedTxn> Txns) : LinkMessage(LinkId, Seq)
{
    public override string ToString() => $"proposal link {LinkId} seq {Seq}: {Txns.Count} txns" +
        (Txns.Count > 0 ? $" 0x{Txns[0].Header.Zxid:x}..0x{Txns[^1].Header.Zxid:x}" : "");
}

/// <summary>Leader → learner: the sync is complete; adopt <see cref="Epoch"/> as currentEpoch.</summary>
public sealed record NewLeader(long LinkId, long Seq, long Epoch) : LinkMessage(LinkId, Seq);

/// <summary>Learner → leader: currentEpoch is durable and the history through <see cref="LastZxid"/> is on disk.</summary>
public sealed record AckNewLeader(long LinkId, long Seq, long Epoch, long LastZxid) : LinkMessage(LinkId, Seq);

/// <summary>Leader → learner: the leader is established; everything through <see cref="Committed"/> is committed; serve.</summary>
public sealed record UpToDate(long LinkId, long Seq, long Committed) : LinkMessage(LinkId, Seq);

/// <summary>Learner → leader: every txn through <see cref="Zxid"/> is durable here (cumulative).</summary>
public sealed record Ack(long LinkId, long Seq, long Zxid) : LinkMessage(LinkId, Seq);

/// <summary>Leader → learner: every txn through <see cref="Zxid"/> is committed (cumulative).</summary>
public sealed record Commit(long LinkId, long Seq, long Zxid) : LinkMessage(LinkId, Seq);

/// <summary>Leader → learner heartbeat.</summary>
public sealed record Ping(long LinkId, long Seq) : LinkMessage(LinkId, Seq);

/// <summary>Learner → leader heartbeat answer.</summary>
public sealed record Pong(long LinkId, long Seq) : LinkMessage(LinkId, Seq);

/// <summary>Learner → leader: something of the member's own (forwarded writes, new sessions, touches), in order.</summary>
public sealed record Forwarded(long LinkId, long Seq, object Payload) : LinkMessage(LinkId, Seq);

/// <summary>Leader → learner: an answer of the leader's own (e.g. to a forwarded sync), after the commits before it.</summary>
public sealed record ToMember(long LinkId, long Seq, object Payload) : LinkMessage(LinkId, Seq);

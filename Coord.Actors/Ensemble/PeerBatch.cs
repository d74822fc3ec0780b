using Coord.Actors.Replication;

namespace Coord.Actors.Ensemble;

/// <summary>
/// Several peer messages from one member to another in one Akka.Remote message, in the order the sender's core
/// produced them. The replication shell gathers what its core sends a member while it works through its mailbox and
/// sends it as one batch (<see cref="PeerCodec.BatchManifest"/>): Akka.Remote's cost is per message (an envelope,
/// several copies, a DotNetty write), and a follower's acks and forwarded writes, or a leader's proposals and
/// commits, come in runs. A receiver steps the messages in order, as if each had come alone. Never holds a snapshot
/// chunk (those go alone, after whatever was gathered before them).
/// </summary>
public sealed record PeerBatch(long From, IReadOnlyList<PeerMessage> Messages)
{
    public override string ToString() => $"from {From}: {Messages.Count} messages";
}

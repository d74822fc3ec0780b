using Coord.Actors.Replication;

namespace Coord.Actors.Ensemble;

/// <summary>
/// What one member's replication shell sends another over Akka.Remote: the sender's member id (from the configured
/// member list, not from the Akka address, which changes when a member restarts) and one peer message. Bound to
/// <see cref="PeerSerializer"/> by <see cref="PeerSerialization.Config"/>, so it never travels as JSON.
/// </summary>
public sealed record PeerEnvelope(long From, PeerMessage Message)
{
    public override string ToString() => $"from {From}: {Message}";
}

using Coord.Actors.Replication;

namespace Coord.Actors.Ensemble;

/// <summary>A peer message with the member id it comes from, as members exchange them over Akka.Remote.</summary>
public sealed record PeerEnvelope(long From, PeerMessage Message);

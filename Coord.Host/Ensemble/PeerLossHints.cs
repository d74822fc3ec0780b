using Akka.Actor;
using Akka.Remote;
using Coord.Actors.Ensemble;

namespace Coord.Host.Ensemble;

/// <summary>
/// Turns Akka.Remote's association events into <see cref="PeerUnreachable"/> hints for the replication actor: when a
/// member's process dies, its TCP connection drops at once (as a ZooKeeper follower's socket to a dead leader does),
/// so followers start an election within milliseconds instead of waiting out the sync limit. Only a hint: the
/// replication core decides nothing from it but "look for a leader now".
/// </summary>
public sealed class PeerLossHints : ReceiveActor
{
    public PeerLossHints(IActorRef replication, IReadOnlyDictionary<long, string> peerPaths)
    {
        var byAddress = peerPaths.ToDictionary(p => ActorPath.Parse(p.Value).Address, p => p.Key);
        Receive<DisassociatedEvent>(e => Hint(replication, byAddress, e.RemoteAddress));
        Receive<AssociationErrorEvent>(e => Hint(replication, byAddress, e.RemoteAddress));
    }

    public static Props Props(IActorRef replication, IReadOnlyDictionary<long, string> peerPaths) =>
        Akka.Actor.Props.Create(() => new PeerLossHints(replication, peerPaths));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(AssociationErrorEvent));
    }

    private static void Hint(IActorRef replication, Dictionary<Address, long> byAddress, Address address)
    {
        if (byAddress.TryGetValue(address, out long member)) replication.Tell(new PeerUnreachable(member));
    }
}

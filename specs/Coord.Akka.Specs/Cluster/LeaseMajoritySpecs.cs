using Akka.Actor;
using Akka.Cluster;
using Akka.Remote;
using Akka.Remote.Transport;
using Coord.Client;
using Xunit.Abstractions;

namespace Coord.Akka.Specs.Cluster;

/// <summary>The split brain resolver's <c>lease-majority</c> with the Coord lease: a two-member cluster on loopback,
/// partitioned by the throttler transport adapter (Blackhole both ways). Each side's SBR tries to take the lease;
/// exactly one gets it and downs the other, and the other downs itself.</summary>
[Collection(CoordCollection.Name)]
public sealed class LeaseMajoritySpecs(CoordServerFixture fixture, ITestOutputHelper output)
{
    private static string ClusterHocon(string leaseRoot) => $$"""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, applied-adapters = ["trttl"] }
        akka.coordinated-shutdown.exit-clr = off
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        akka.cluster {
          run-coordinated-shutdown-when-down = on
          downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
          split-brain-resolver {
            active-strategy = lease-majority
            stable-after = 2s
            down-all-when-unstable = off
            lease-majority {
              lease-implementation = "coord.akka.lease"
              acquire-lease-delay-for-minority = 500ms
            }
          }
          failure-detector { heartbeat-interval = 200ms, acceptable-heartbeat-pause = 1s }
          gossip-interval = 200ms
          leader-actions-interval = 200ms
          unreachable-nodes-reaper-interval = 200ms
        }
        coord.akka.lease.root = "{{leaseRoot}}"
        """;

    [Fact]
    public async Task A_partition_with_lease_majority_leaves_exactly_one_side_up()
    {
        var root = "/" + Specs.Unique("sbr");
        var config = Specs.Config(fixture.ConnectString, ClusterHocon(root));
        var a = ActorSystem.Create("sbr", config);
        var b = ActorSystem.Create("sbr", config);
        await using var observer = await Specs.ConnectAsync(fixture.ConnectString);
        try
        {
            var (clusterA, clusterB) = (global::Akka.Cluster.Cluster.Get(a), global::Akka.Cluster.Cluster.Get(b));
            var bothUp = Task.WhenAll(MembersUpAsync(a, 2), MembersUpAsync(b, 2));
            clusterA.Join(clusterA.SelfAddress);
            clusterB.Join(clusterA.SelfAddress);
            await bothUp.WaitAsync(Specs.Wait);

            var removedOnA = MemberRemovedAsync(a, clusterB.SelfAddress);
            var removedOnB = MemberRemovedAsync(b, clusterA.SelfAddress);
            var partitionedAt = Specs.NowMs;
            await Blackhole(a, clusterB.SelfAddress);
            await Blackhole(b, clusterA.SelfAddress);

            var first = await Task.WhenAny(a.WhenTerminated, b.WhenTerminated).WaitAsync(TimeSpan.FromSeconds(40));
            var (loser, survivor, survivorSawRemoval) = first == a.WhenTerminated ? ("a", b, removedOnB) : ("b", a, removedOnA);
            output.WriteLine($"{loser} downed itself {Specs.NowMs - partitionedAt} ms after the partition");
            await survivorSawRemoval.WaitAsync(Specs.Wait);
            output.WriteLine($"the survivor removed {loser} {Specs.NowMs - partitionedAt} ms after the partition");

            Assert.False(survivor.WhenTerminated.IsCompleted, "both sides went down");
            Assert.Equal(MemberStatus.Up, global::Akka.Cluster.Cluster.Get(survivor).SelfMember.Status);
            var survivorAddress = global::Akka.Cluster.Cluster.Get(survivor).SelfAddress;
            Assert.Equal([survivorAddress], global::Akka.Cluster.Cluster.Get(survivor).State.Members.Select(m => m.Address));

            // The survivor's SBR holds the lease (its owner is the survivor's host:port).
            var leaseNode = $"{root}/sbr-akka-sbr";
            var (owner, _) = await observer.GetDataAsync(leaseNode);
            Assert.Equal(survivorAddress.HostPort(), System.Text.Encoding.UTF8.GetString(owner));
        }
        finally
        {
            await Specs.TerminateAsync(a, b);
        }
    }

    private static Task Blackhole(ActorSystem from, Address to) =>
        ((RemoteActorRefProvider)((ExtendedActorSystem)from).Provider).Transport.ManagementCommand(
            new SetThrottle(to, ThrottleTransportAdapter.Direction.Both, global::Akka.Remote.Transport.Blackhole.Instance));

    private static Task MembersUpAsync(ActorSystem system, int count)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var up = new HashSet<Address>();
        Action<ClusterEvent.IMemberEvent> onEvent = e =>
        {
            if (e is ClusterEvent.MemberUp m && up.Add(m.Member.Address) && up.Count >= count) done.TrySetResult();
        };
        system.ActorOf(Props.Create(() => new ClusterListener(onEvent)));
        return done.Task;
    }

    private static Task MemberRemovedAsync(ActorSystem system, Address member)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<ClusterEvent.IMemberEvent> onEvent = e =>
        {
            if (e is ClusterEvent.MemberRemoved m && m.Member.Address == member) done.TrySetResult();
        };
        system.ActorOf(Props.Create(() => new ClusterListener(onEvent)));
        return done.Task;
    }

    /// <summary>Hands every member event (current state first) to a callback.</summary>
    private sealed class ClusterListener : ReceiveActor
    {
        public ClusterListener(Action<ClusterEvent.IMemberEvent> onEvent)
        {
            Receive<ClusterEvent.IMemberEvent>(onEvent);
            Receive<ClusterEvent.CurrentClusterState>(_ => { });
        }

        protected override void PreStart() =>
            global::Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));
    }
}

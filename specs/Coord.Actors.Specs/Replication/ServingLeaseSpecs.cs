using Coord.Actors.Replication;

namespace Coord.Actors.Specs.Replication;

/// <summary>
/// The serving lease (<see cref="ReplicationCore.ServingLeaseUntilMs"/>): how long a member may still answer reads
/// from its own tree without having heard from its leader (a learner) or from a quorum (a leader). The applier checks
/// it before every read, so a leader that was paused or cut off refuses reads as soon as the sync limit has passed,
/// without waiting for its core's next tick to notice. Driven through the seeded simulator (one shared clock).
/// </summary>
public sealed class ServingLeaseSpecs
{
    private static readonly long SyncLimitMs = SimOptions.Timing.SyncLimitMs;

    private static SimWorld Established(int voters, int seed = 1)
    {
        var world = new SimWorld(new SimOptions(voters), seed);
        Assert.True(world.RunUntil(world.AllServing, 5_000), "no leader established: " + world.Describe());
        return world;
    }

    [Fact]
    public void Every_member_of_a_healthy_ensemble_holds_a_lease_into_the_future()
    {
        var world = Established(3);
        for (int round = 0; round < 50; round++)
        {
            world.FaultFreeRound(20);
            foreach (var n in world.Nodes)
            {
                Assert.True(n.Core!.ServingLeaseUntilMs > world.Now, $"n{n.Id} ({n.Core.State}) lease {n.Core.ServingLeaseUntilMs} at {world.Now}");
                Assert.True(n.Core.ServingLeaseUntilMs <= world.Now + SyncLimitMs, $"n{n.Id}: a lease never reaches past the sync limit");
            }
        }
    }

    [Fact]
    public void A_leader_cut_off_from_its_quorum_has_no_lease_left_before_the_new_leader_serves()
    {
        var world = Established(3);
        var old = world.ServingLeader()!;
        world.Partition([old.Id]);
        long cutAt = world.Now;
        // The lease of the isolated leader runs out within the sync limit of the cut, whatever its core believes yet.
        Assert.True(old.Core!.ServingLeaseUntilMs <= cutAt + SyncLimitMs);
        Assert.True(world.RunUntil(() => world.Nodes.Any(n => n != old && n.Core!.State == PeerState.Leading && n.Core.Serving), 10_000),
            "the majority elected no new leader: " + world.Describe());
        Assert.True(old.Core!.ServingLeaseUntilMs <= world.Now,
            $"the cut-off leader still held a lease until {old.Core.ServingLeaseUntilMs} while the new leader serves at {world.Now}");
    }

    [Fact]
    public void A_leader_with_one_follower_left_of_two_keeps_its_lease_and_one_with_none_loses_it()
    {
        var world = Established(3);
        var leader = world.ServingLeader()!;
        var followers = world.Nodes.Where(n => n != leader).ToArray();
        world.Partition([followers[0].Id]);
        for (long t = 0; t < 3 * SyncLimitMs; t += 20) world.FaultFreeRound(20);
        Assert.Equal(PeerState.Leading, leader.Core!.State);
        Assert.True(leader.Core.ServingLeaseUntilMs > world.Now, "a quorum (itself and one follower) still answers");

        world.Heal();
        Assert.True(world.RunUntil(world.AllServing, 10_000), world.Describe());
        leader = world.ServingLeader()!;
        world.Partition([leader.Id]);
        world.Advance(SyncLimitMs);
        Assert.True(leader.Core!.ServingLeaseUntilMs <= world.Now, "no follower heard for the sync limit: no lease");
    }

    [Fact]
    public void A_follower_that_has_not_heard_its_leader_for_the_sync_limit_has_no_lease()
    {
        var world = Established(3);
        var follower = world.Nodes.First(n => n.Core!.State == PeerState.Following);
        world.Partition([follower.Id]);
        long until = follower.Core!.ServingLeaseUntilMs;
        Assert.InRange(until, world.Now + 1, world.Now + SyncLimitMs);
        world.Advance(until - 1 - world.Now);
        // Within the sync limit of the last word from its leader a follower may still answer (stale reads are allowed).
        Assert.Equal(until, follower.Core!.ServingLeaseUntilMs);
        Assert.True(until > world.Now);
        world.Advance(1);
        Assert.True(follower.Core!.ServingLeaseUntilMs <= world.Now, "the lease does not outlive the sync limit");
    }

    [Fact]
    public void A_member_that_does_not_serve_has_no_lease()
    {
        var world = new SimWorld(new SimOptions(3), seed: 1);
        Assert.All(world.Nodes, n => Assert.Equal(0, n.Core!.ServingLeaseUntilMs));
    }
}

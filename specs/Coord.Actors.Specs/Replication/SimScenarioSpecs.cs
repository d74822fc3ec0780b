using Coord.Actors.Replication;

namespace Coord.Actors.Specs.Replication;

/// <summary>
/// Deterministic stories through the simulator (one fixed seed each; the invariants are checked after every round):
/// election and commit, leader failover, the three ways a learner syncs, a leader cut off from its quorum, observers.
/// </summary>
public sealed class SimScenarioSpecs
{
    private static readonly ReplicationTiming Timing = SimOptions.Timing;

    private static SimWorld Established(SimOptions options, int seed = 1)
    {
        var world = new SimWorld(options, seed);
        Assert.True(world.RunUntil(world.AllServing, 5_000), "no leader established: " + world.Describe());
        return world;
    }

    private static void Commit(SimWorld world, IReadOnlyList<int> writes)
    {
        Assert.NotEmpty(writes);
        Assert.True(world.RunUntil(() => writes.All(world.IsAcknowledged), 2_000), "writes not acknowledged: " + world.Describe());
    }

    private static bool TreeHolds(SimNode node, int writeId)
    {
        for (int i = 0; i < node.Tree.Count; i++)
            if (node.Tree[i].Header.Cxid == writeId) return true;
        return false;
    }

    private static void AssertAllApplyTheCommittedLog(SimWorld world)
    {
        foreach (var n in world.Nodes)
        {
            Assert.Equal(world.Reference.Count, n.Tree.Count);
            Assert.Equal(world.Reference.DigestAt(world.Reference.Count), n.Tree.DigestAt(n.Tree.Count));
        }
    }

    private static SimNode AFollower(SimWorld world) => world.Nodes.First(n => n.Core!.State == PeerState.Following);

    [Fact]
    public void Three_members_elect_one_leader_and_commit_on_every_member()
    {
        var world = Established(new SimOptions(3));
        var leader = world.ServingLeader()!;
        Assert.Single(world.Nodes, n => n.Core!.State == PeerState.Leading);
        Assert.All(world.Nodes, n => Assert.Equal(leader.Id, n.Core!.LeaderId));
        Assert.Equal(1, leader.Core!.Epoch);
        var writes = world.ProposeAtLeader(3);
        Commit(world, writes);
        Assert.True(world.RunUntil(() => world.Nodes.All(n => n.Tree.Count == 3), 1_000));
        AssertAllApplyTheCommittedLog(world);
        Assert.All(world.Syncs, s => Assert.Equal("DIFF", s.Kind));
    }

    /// <summary>
    /// Failure detection can call a member unreachable that is alive: Akka.Cluster flags a killed process seconds
    /// later, when the member restarted on the same address is already synced. The leader keeps a link it still hears
    /// from, and drops a learner that is really gone within two heartbeats of its silence, well inside the sync limit.
    /// </summary>
    [Fact]
    public void A_leader_keeps_a_learner_it_still_hears_though_told_it_is_unreachable_and_drops_one_gone_silent()
    {
        var world = Established(new SimOptions(3));
        var leader = world.ServingLeader()!;
        var follower = AFollower(world);
        int syncs = world.Syncs.Count;

        leader.Core!.PeerUnreachable(follower.Id, world.Now);
        Commit(world, world.ProposeAtLeader(3));
        world.RunUntil(() => false, 10 * Timing.HeartbeatMs);

        Assert.True(follower.Core!.Serving, "the follower was told its link was reset: " + world.Describe());
        Assert.Equal(syncs, world.Syncs.Count);
        Assert.Equal(2, leader.Core.SyncedFollowerCount);

        world.Crash(follower);
        leader.Core.PeerUnreachable(follower.Id, world.Now);
        Assert.True(world.RunUntil(() => leader.Core.LearnerCount == 1, 3 * Timing.HeartbeatMs),
            "the leader kept a silent learner it was told is unreachable: " + world.Describe());
        Assert.True(3 * Timing.HeartbeatMs < Timing.SyncLimitMs);
        Assert.True(leader.Core.Serving);
    }

    [Fact]
    public void After_the_leader_crashes_a_new_leader_keeps_every_acknowledged_write()
    {
        var world = Established(new SimOptions(3));
        var old = world.ServingLeader()!;
        long oldEpoch = old.Core!.Epoch;
        var writes = world.ProposeAtLeader(3).Concat(world.ProposeAtLeader(2)).ToList();
        Commit(world, writes);
        world.Crash(old);
        Assert.True(world.RunUntil(() => world.ServingLeader() is { } l && l != old, 5_000), world.Describe());
        var leader = world.ServingLeader()!;
        Assert.True(leader.Core!.Epoch > oldEpoch);
        Assert.All(writes, w => Assert.True(TreeHolds(leader, w), $"write {w} lost"));
        Commit(world, world.ProposeAtLeader(1));
        world.Restart(old);
        Assert.True(world.RunUntil(() => world.AllServing() && old.Tree.Count == world.Reference.Count, 5_000), world.Describe());
        AssertAllApplyTheCommittedLog(world);
    }

    [Fact]
    public void A_lagging_follower_syncs_by_DIFF()
    {
        var world = Established(new SimOptions(3));
        var follower = AFollower(world);
        world.Partition([follower.Id]);
        var writes = world.ProposeAtLeader(3).Concat(world.ProposeAtLeader(2)).ToList();
        Commit(world, writes);
        Assert.True(world.RunUntil(() => follower.Core!.State == PeerState.Looking, Timing.SyncLimitMs * 2));
        world.Heal();
        int before = world.Syncs.Count;
        Assert.True(world.RunUntil(world.AllServing, 5_000), world.Describe());
        var sync = Assert.Single(world.Syncs.Skip(before), s => s.Learner == follower.Id);
        Assert.Equal("DIFF", sync.Kind);
        Assert.Equal(writes.Count, sync.DiffTxns);
        AssertAllApplyTheCommittedLog(world);
    }

    [Fact]
    public void A_follower_with_a_tail_that_was_never_committed_is_truncated_by_TRUNC()
    {
        var world = Established(new SimOptions(3));
        Commit(world, world.ProposeAtLeader(2));
        var old = world.ServingLeader()!;
        // The leader journals two writes nobody else receives, then crashes.
        world.Partition([old.Id]);
        var lost = world.ProposeAtLeader(2);
        world.FsyncAll(old);
        Assert.Equal(4, old.Durable.Count);
        world.Crash(old);
        world.Heal();
        Assert.True(world.RunUntil(() => world.ServingLeader() is { } l && l != old, 5_000), world.Describe());
        var kept = world.ProposeAtLeader(3);
        Commit(world, kept);
        int before = world.Syncs.Count;
        world.Restart(old);
        Assert.True(TreeHolds(old, lost[0]), "the restarted member replays its whole journal");
        Assert.True(world.RunUntil(() => world.AllServing() && old.Tree.Count == world.Reference.Count, 5_000), world.Describe());
        var sync = Assert.Single(world.Syncs.Skip(before), s => s.Learner == old.Id);
        Assert.Equal("TRUNC", sync.Kind);
        Assert.Equal(kept.Count, sync.DiffTxns);
        Assert.All(lost, w => Assert.False(world.IsAcknowledged(w)));
        Assert.All(world.Nodes, n => Assert.All(lost, w => Assert.False(TreeHolds(n, w))));
        AssertAllApplyTheCommittedLog(world);
    }

    [Fact]
    public void A_follower_behind_the_log_window_syncs_by_SNAP()
    {
        var world = Established(new SimOptions(3, WindowTxnsMax: 4, SyncBatchTxnsMax: 2));
        var follower = AFollower(world);
        world.Partition([follower.Id]);
        for (int i = 0; i < 10; i++) Commit(world, world.ProposeAtLeader(2));
        Assert.True(world.RunUntil(() => follower.Core!.State == PeerState.Looking, Timing.SyncLimitMs * 2));
        world.Heal();
        int before = world.Syncs.Count;
        Assert.True(world.RunUntil(world.AllServing, 5_000), world.Describe());
        var sync = Assert.Single(world.Syncs.Skip(before), s => s.Learner == follower.Id);
        Assert.Equal("SNAP", sync.Kind);
        Assert.Equal(20, follower.Tree.Count);
        Assert.Equal(20, follower.DurableSnapshotCount + (follower.Durable.Count - follower.DurableSnapshotCount));
        AssertAllApplyTheCommittedLog(world);
    }

    [Fact]
    public void A_snapshot_streams_in_chunks_within_the_window_and_a_lost_chunk_means_a_new_sync_never_a_hole()
    {
        var world = Established(new SimOptions(3, WindowTxnsMax: 4, SyncBatchTxnsMax: 2, SnapshotChunksInFlightMax: 2, SnapshotPieces: 5));
        var leader = world.ServingLeader()!;
        var follower = AFollower(world);
        world.Partition([follower.Id]);
        for (int i = 0; i < 10; i++) Commit(world, world.ProposeAtLeader(2));
        Assert.True(world.RunUntil(() => follower.Core!.State == PeerState.Looking, Timing.SyncLimitMs * 2));
        world.Heal();
        // The leader answers the snapshot at the end of a round: its first chunks wait in the queue, no more than the window.
        Assert.True(world.RunUntil(() => world.InFlight(leader.Id, follower.Id).Any(m => m is SnapChunk), 5_000), world.Describe());
        var chunks = world.InFlight(leader.Id, follower.Id).OfType<SnapChunk>().ToList();
        Assert.Equal([0, 1], chunks.Select(c => c.Index));
        Assert.All(chunks, c => Assert.Equal(5, c.Count));
        Assert.True(world.DropFirst(leader.Id, follower.Id, m => m is SnapChunk { Index: 1 }));

        int before = world.Syncs.Count;
        Assert.True(world.RunUntil(() => world.AllServing() && follower.Tree.Count == world.Reference.Count, 5_000), world.Describe());
        // The stream that lost a chunk never finished (no NEWLEADER for it); the next link's SNAP did.
        var sync = Assert.Single(world.Syncs.Skip(before), s => s.Learner == follower.Id);
        Assert.Equal("SNAP", sync.Kind);
        Assert.Equal(20, follower.DurableSnapshotCount + (follower.Durable.Count - follower.DurableSnapshotCount));
        AssertAllApplyTheCommittedLog(world);
    }

    [Fact]
    public void A_learner_whose_message_the_leader_missed_is_told_and_syncs_again_well_within_the_sync_limit()
    {
        var world = Established(new SimOptions(3));
        var leader = world.ServingLeader()!;
        var follower = AFollower(world);
        Commit(world, world.ProposeAtLeader(1));
        long epoch = leader.Core!.Epoch;
        int elections = world.Elections;

        // The follower's ack of the next write is lost: the leader sees a gap at its next message (a pong) and drops the link.
        var writes = world.ProposeAtLeader(2);
        Assert.True(world.RunUntil(() => world.InFlight(follower.Id, leader.Id).Any(m => m is Ack), 1_000, roundMs: 1), world.Describe());
        Assert.True(world.DropFirst(follower.Id, leader.Id, m => m is Ack));
        long lostAt = world.Now;
        Assert.True(world.RunUntil(() => !follower.Core!.Serving, Timing.SyncLimitMs * 2, roundMs: 1), world.Describe());
        Assert.True(world.RunUntil(world.AllServing, Timing.SyncLimitMs * 4, roundMs: 1), world.Describe());
        long recoveredMs = world.Now - lostAt;

        // Without the leader's notice the follower would hear nothing until its sync limit ran out, then hold an
        // election: here it re-opens its link at once, to the same leader in the same epoch.
        Assert.True(recoveredMs < Timing.SyncLimitMs / 2, $"the follower served again {recoveredMs} ms after the lost ack (sync limit {Timing.SyncLimitMs} ms)");
        Assert.Equal(PeerState.Following, follower.Core!.State);
        Assert.Equal((leader.Id, epoch), (follower.Core.LeaderId, follower.Core.Epoch));
        Assert.Equal(elections, world.Elections);
        Commit(world, writes);
        Assert.True(world.RunUntil(() => follower.Tree.Count == world.Reference.Count, 1_000));
        AssertAllApplyTheCommittedLog(world);
    }

    [Fact]
    public void A_leader_cut_off_from_the_majority_steps_down_within_the_sync_limit_and_loses_what_it_never_committed()
    {
        var world = Established(new SimOptions(3));
        Commit(world, world.ProposeAtLeader(1));
        var old = world.ServingLeader()!;
        world.Partition([old.Id]);
        long cutAt = world.Now;
        var stranded = world.ProposeAtLeader(2);
        Assert.True(world.RunUntil(() => old.Core!.State != PeerState.Leading, Timing.SyncLimitMs + 2 * Timing.HeartbeatMs, roundMs: 1));
        Assert.True(world.Now - cutAt <= Timing.SyncLimitMs + Timing.HeartbeatMs, $"stepped down after {world.Now - cutAt} ms");
        Assert.All(stranded, w => Assert.False(world.IsAcknowledged(w)));
        Assert.True(world.RunUntil(() => world.ServingLeader() is { } l && l != old, 5_000), world.Describe());
        var kept = world.ProposeAtLeader(2);
        Commit(world, kept);
        int before = world.Syncs.Count;
        world.Heal();
        Assert.True(world.RunUntil(() => world.AllServing() && old.Tree.Count == world.Reference.Count, 5_000), world.Describe());
        Assert.Equal("TRUNC", Assert.Single(world.Syncs.Skip(before), s => s.Learner == old.Id).Kind);
        Assert.All(world.Nodes, n => Assert.All(stranded, w => Assert.False(TreeHolds(n, w))));
        Assert.All(kept, w => Assert.True(TreeHolds(old, w)));
        AssertAllApplyTheCommittedLog(world);
    }

    [Fact]
    public void An_observer_follows_and_applies_but_does_not_count_for_the_quorum()
    {
        var world = Established(new SimOptions(3, Observers: 1));
        var observer = world.Node(4);
        Assert.Equal(PeerState.Observing, observer.Core!.State);
        var writes = world.ProposeAtLeader(2);
        Commit(world, writes);
        Assert.True(world.RunUntil(() => observer.Tree.Count == 2, 1_000));
        Assert.True(world.ForwardFrom(observer));
        Assert.True(world.RunUntil(() => world.WritesAcked == 3, 1_000), "the observer's forwarded write is answered after it applied it");

        // Two voters down: the leader and the observer are no quorum; nothing more commits and the leader steps down.
        var leader = world.ServingLeader()!;
        foreach (var n in world.Nodes.Where(n => n != leader && n != observer).ToList()) world.Crash(n);
        var stranded = world.ProposeAtLeader(1);
        Assert.True(world.RunUntil(() => leader.Core!.State != PeerState.Leading, Timing.SyncLimitMs + 2 * Timing.HeartbeatMs));
        Assert.False(world.IsAcknowledged(stranded[0]));
        Assert.False(TreeHolds(observer, stranded[0]));
        Assert.Equal(3, observer.Tree.Count);
    }
}

using Coord.Actors.Replication;
using Coord.Actors.Txns;

namespace Coord.Actors.Specs.Replication;

/// <summary>
/// The core driven by hand, message by message, for the bugs the simulator found (each pins one fix; the simulator's
/// seeds stop reproducing them as soon as the schedule code changes).
/// </summary>
public sealed class CoreRegressionSpecs
{
    private static readonly ReplicationMember[] Three = [new(1, false), new(2, false), new(3, false)];

    private static ReplicationCore Core(long self) =>
        new(new ReplicationConfig(self, Three, SimOptions.Timing), DurableState.Empty, incarnation: 1, nowMs: 0);

    /// <summary>Makes a looking member follow <paramref name="leader"/> (the leader and one more say so); returns the link id.</summary>
    private static long Follow(ReplicationCore core, long leader, long other, long round)
    {
        core.Step(leader, new Vote(leader, 0, 0, round, PeerState.Leading), 0);
        core.Step(other, new Vote(leader, 0, 0, round, PeerState.Following), 0);
        Assert.Equal(PeerState.Following, core.State);
        var info = core.TakeEffects().OfType<Send>().Select(s => s.Message).OfType<FollowerInfo>().Last();
        return info.LinkId;
    }

    [Fact]
    public void A_promised_epoch_still_on_its_way_to_disk_is_kept_and_reported()
    {
        var core = Core(2);
        long link = Follow(core, leader: 1, other: 3, round: 1);
        core.Step(1, new LeaderInfo(link, 1, 5), 0);
        Assert.Contains(core.TakeEffects(), e => e is PersistAcceptedEpoch { Epoch: 5 });
        core.PeerUnreachable(1, 0); // the link breaks before the promise is durable
        Assert.Equal(PeerState.Looking, core.State);

        long link2 = Follow(core, leader: 3, other: 1, round: 2);
        core.Step(3, new LeaderInfo(link2, 1, 4), 0);
        Assert.Equal(PeerState.Looking, core.State); // epoch 4 is below the promise of 5: refused
        Assert.DoesNotContain(core.TakeEffects(), e => e is PersistAcceptedEpoch);
    }

    [Fact]
    public void A_new_link_reports_the_promised_epoch_before_it_is_durable()
    {
        var core = Core(2);
        long link = Follow(core, leader: 1, other: 3, round: 1);
        core.Step(1, new LeaderInfo(link, 1, 5), 0);
        core.PeerUnreachable(1, 0);
        core.Step(3, new Vote(3, 0, 0, 2, PeerState.Leading), 0);
        core.Step(1, new Vote(3, 0, 0, 2, PeerState.Following), 0);
        var info = core.TakeEffects().OfType<Send>().Select(s => s.Message).OfType<FollowerInfo>().Last();
        Assert.Equal(5, info.AcceptedEpoch);
    }

    [Fact]
    public void A_snapshot_from_the_leader_is_not_committed_until_the_leader_says_so()
    {
        var core = Core(2);
        long link = Follow(core, leader: 1, other: 3, round: 1);
        core.Step(1, new LeaderInfo(link, 1, 1), 0);
        core.Persisted(0);
        core.TakeEffects();
        var snap = new SimSnapshot(7, []);
        core.Step(1, new Snap(link, 2, 7, snap), 0);
        Assert.Contains(core.TakeEffects(), e => e is InstallSnapshot { Zxid: 7 });
        Assert.Equal(0, core.CommittedZxid); // a leader not yet established snapshots txns no quorum may have
        core.Step(1, new NewLeader(link, 3, 1), 0);
        core.Persisted(0);
        core.Persisted(0);
        Assert.Contains(core.TakeEffects(), e => e is Send { Message: AckNewLeader { LastZxid: 7 } });
        core.Step(1, new UpToDate(link, 4, 7), 0);
        Assert.Equal(7, core.CommittedZxid);
        Assert.True(core.Serving);
    }

    private static ReplicationCore ElectedLeader()
    {
        var core = Core(1);
        core.Step(2, new Vote(1, 0, 0, 1, PeerState.Looking), 0);
        core.Tick(SimOptions.Timing.FinalizeWaitMs + 1);
        Assert.Equal(PeerState.Leading, core.State);
        core.TakeEffects();
        return core;
    }

    [Fact]
    public void An_epoch_ack_from_a_member_that_had_already_accepted_that_epoch_does_not_count_for_the_quorum()
    {
        var core = ElectedLeader();
        core.Step(2, new FollowerInfo(20, 1, AcceptedEpoch: 0, Observer: false), 0);
        Assert.Contains(core.TakeEffects(), e => e is PersistAcceptedEpoch { Epoch: 1 });
        core.Persisted(0);
        core.Step(3, new FollowerInfo(30, 1, AcceptedEpoch: 1, Observer: false), 0); // promised epoch 1 to someone else
        core.TakeEffects();
        core.Step(3, new AckEpoch(30, 2, 0, 0, 0), 0);
        Assert.DoesNotContain(core.TakeEffects(), e => e is PersistCurrentEpoch);
        core.Step(2, new AckEpoch(20, 2, 0, 0, 0), 0);
        Assert.Contains(core.TakeEffects(), e => e is PersistCurrentEpoch { Epoch: 1 });
    }

    [Fact]
    public void A_learner_whose_NEWLEADER_ack_completes_a_quorum_gets_the_commit()
    {
        var core = ElectedLeader();
        core.Step(2, new FollowerInfo(20, 1, AcceptedEpoch: 0, Observer: false), 0);
        core.Persisted(0); // acceptedEpoch 1
        core.Step(2, new AckEpoch(20, 2, 0, 0, 0), 0);
        core.Persisted(0); // currentEpoch 1
        core.Step(2, new AckNewLeader(20, 3, 1, 0), 0);
        Assert.True(core.Serving);
        long zxid = (1L << 32) | 1;
        core.Propose([new SequencedTxn(new TxnHeader(1, 1, zxid, 0), new SetDataTxn("/a", null, 1))], 0);
        core.Persisted(0); // on the leader's disk; member 2 never acknowledges it
        core.Step(2, new Pong(20, 9), 0); // a gap: the leader drops member 2's link
        core.TakeEffects();

        core.Step(3, new FollowerInfo(30, 1, AcceptedEpoch: 0, Observer: false), 0);
        core.Step(3, new AckEpoch(30, 2, 0, 0, 0), 0);
        Assert.Contains(core.TakeEffects(), e => e is Send { To: 3, Message: Proposal });
        core.Step(3, new AckNewLeader(30, 3, 1, zxid), 0); // member 3 holds it on disk: with the leader, a quorum
        var effects = core.TakeEffects();
        Assert.Contains(effects, e => e is Apply);
        Assert.Contains(effects, e => e is Send { To: 3, Message: Commit c } && c.Zxid == zxid);
        Assert.Equal(zxid, core.CommittedZxid);
    }

    [Fact]
    public void A_leader_steps_down_for_a_member_that_promised_a_newer_epoch()
    {
        var core = ElectedLeader();
        core.Step(2, new FollowerInfo(20, 1, AcceptedEpoch: 0, Observer: false), 0);
        core.Persisted(0);
        core.Step(3, new FollowerInfo(30, 1, AcceptedEpoch: 4, Observer: false), 0);
        Assert.Equal(PeerState.Looking, core.State);
    }
}

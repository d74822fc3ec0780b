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
        var pieces = new SimSnapshot(7, []).Split(2);
        core.Step(1, new SnapChunk(link, 2, 7, 0, 2, pieces[0]), 0);
        // Handed to the host at once (it stages and parses as pieces come) and acknowledged (after FollowerInfo and
        // AckEpoch); nothing installed yet.
        Assert.Equal([new SnapshotPiece(7, 0, 2, pieces[0]), new Send(1, new SnapChunkAck(link, 3, 0))], core.TakeEffects());
        core.Step(1, new SnapChunk(link, 3, 7, 1, 2, pieces[1]), 0);
        var effects = core.TakeEffects();
        Assert.Contains(effects, e => e is Send { Message: SnapChunkAck { Index: 1 } });
        Assert.Equal([pieces[1]], effects.OfType<SnapshotPiece>().Select(p => p.Chunk));
        var install = Assert.Single(effects.OfType<InstallSnapshot>());
        Assert.Equal(new InstallSnapshot(7, 2), install);
        Assert.True(effects.IndexOf(effects.OfType<SnapshotPiece>().Single()) < effects.IndexOf(install));
        Assert.Equal(0, core.CommittedZxid); // a leader not yet established snapshots txns no quorum may have
        core.Step(1, new NewLeader(link, 4, 1), 0);
        core.Persisted(0);
        core.Persisted(0);
        Assert.Contains(core.TakeEffects(), e => e is Send { Message: AckNewLeader { LastZxid: 7 } });
        core.Step(1, new UpToDate(link, 5, 7), 0);
        Assert.Equal(7, core.CommittedZxid);
        Assert.True(core.Serving);
    }

    [Fact]
    public void A_learner_refuses_a_snapshot_chunk_out_of_place_and_looks_again()
    {
        var core = Core(2);
        long link = Follow(core, leader: 1, other: 3, round: 1);
        core.Step(1, new LeaderInfo(link, 1, 1), 0);
        core.Persisted(0);
        core.TakeEffects();
        var pieces = new SimSnapshot(7, []).Split(3);
        core.Step(1, new SnapChunk(link, 2, 7, 0, 3, pieces[0]), 0);
        core.Step(1, new SnapChunk(link, 3, 7, 2, 3, pieces[2]), 0); // chunk 1 skipped with its sequence number intact
        Assert.Equal(PeerState.Looking, core.State);
        var effects = core.TakeEffects();
        Assert.DoesNotContain(effects, e => e is InstallSnapshot);
        // The host drops what it staged and parsed of it: a broken stream never becomes a partial install.
        Assert.Contains(new SnapshotAbandoned(7, 1, 3), effects);
        Assert.Equal([pieces[0]], effects.OfType<SnapshotPiece>().Select(p => p.Chunk));
    }

    [Fact]
    public void A_learner_told_its_link_was_reset_stops_serving_and_opens_a_new_one_to_the_same_leader_at_once()
    {
        var core = Core(2);
        long link = Follow(core, leader: 1, other: 3, round: 1);
        core.Step(1, new LeaderInfo(link, 1, 1), 0);
        core.Persisted(0);
        core.Step(1, new NewLeader(link, 2, 1), 0);
        core.Persisted(0);
        core.Step(1, new UpToDate(link, 3, 0), 0);
        Assert.True(core.Serving);
        core.TakeEffects();

        core.Step(1, new LinkReset(link + 1, 0, "not this member's link"), 10);
        Assert.True(core.Serving);
        core.Step(1, new LinkReset(link, 0, "message 5 arrived after 3"), 10); // honoured whatever its sequence number
        Assert.False(core.Serving);
        Assert.Equal((PeerState.Following, 1L), (core.State, core.LeaderId));
        var effects = core.TakeEffects();
        Assert.Contains(effects, e => e is RoleChanged { Serving: false } r && r.Reason.Contains("message 5 arrived after 3"));
        var reopen = Assert.Single(effects.OfType<Send>().Select(s => s.Message).OfType<FollowerInfo>());
        Assert.NotEqual(link, reopen.LinkId);
        Assert.Equal((1L, 1L), (reopen.Seq, reopen.AcceptedEpoch));
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

    /// <summary>An established leader of epoch 1 with member 2 synced; member 3 has opened link 30 and acknowledged the epoch from far behind.</summary>
    private static ReplicationCore LeaderWithAFarBehindLearner(out long zxid)
    {
        var core = new ReplicationCore(new ReplicationConfig(1, Three, SimOptions.Timing, WindowTxnsMax: 1, SnapshotChunksInFlightMax: 2),
            DurableState.Empty, incarnation: 1, nowMs: 0);
        core.Step(2, new Vote(1, 0, 0, 1, PeerState.Looking), 0);
        core.Tick(SimOptions.Timing.FinalizeWaitMs + 1);
        core.Step(2, new FollowerInfo(20, 1, AcceptedEpoch: 0, Observer: false), 0);
        core.Persisted(0);
        core.Step(2, new AckEpoch(20, 2, 0, 0, 0), 0);
        core.Persisted(0);
        core.Step(2, new AckNewLeader(20, 3, 1, 0), 0);
        Assert.True(core.Serving);
        zxid = 1L << 32;
        for (int i = 1; i <= 3; i++)
        {
            zxid++;
            core.Propose([new SequencedTxn(new TxnHeader(1, i, zxid, 0), new SetDataTxn("/a", null, i))], 0);
            core.Persisted(0);
            core.Step(2, new Ack(20, 3 + i, zxid), 0);
        }
        Assert.Equal(zxid, core.CommittedZxid);
        core.Step(3, new FollowerInfo(30, 1, AcceptedEpoch: 0, Observer: false), 0);
        core.TakeEffects();
        core.Step(3, new AckEpoch(30, 2, 0, 0, 0), 0); // empty history, behind the one-txn window: SNAP
        Assert.Contains(core.TakeEffects(), e => e is TakeSnapshot { Member: 3, LinkId: 30 });
        return core;
    }

    [Fact]
    public void A_leader_streams_a_snapshot_a_window_at_a_time_and_sends_the_diff_and_NEWLEADER_after_the_last_chunk()
    {
        var core = LeaderWithAFarBehindLearner(out long zxid);
        var snapshotAt = zxid - 1; // taken before the last write was applied
        core.SnapshotTaken(3, 30, snapshotAt, ["a", "b", "c", "d", "e"], 0);
        var sent = core.TakeEffects().OfType<Send>().Where(s => s.To == 3).Select(s => s.Message).ToList();
        Assert.Equal(["a", "b"], sent.OfType<SnapChunk>().Select(c => c.Chunk));
        Assert.Equal(sent.Count, sent.OfType<SnapChunk>().Count());

        // A write while it streams waits for the DIFF behind the snapshot.
        zxid++;
        core.Propose([new SequencedTxn(new TxnHeader(1, 9, zxid, 0), new SetDataTxn("/a", null, 9))], 0);
        Assert.DoesNotContain(core.TakeEffects(), e => e is Send { To: 3 });
        core.SnapshotTaken(3, 30, snapshotAt, ["late", "answer"], 0); // a second answer for the same link is ignored
        Assert.DoesNotContain(core.TakeEffects(), e => e is Send { To: 3 });

        core.Step(3, new SnapChunkAck(30, 3, 0), 0);
        Assert.Equal(["c"], core.TakeEffects().OfType<Send>().Select(s => s.Message).OfType<SnapChunk>().Select(c => c.Chunk));
        core.Step(3, new SnapChunkAck(30, 4, 1), 0);
        core.Step(3, new SnapChunkAck(30, 5, 2), 0);
        var rest = core.TakeEffects().OfType<Send>().Where(s => s.To == 3).Select(s => s.Message).ToList();
        Assert.Equal(["d", "e"], rest.OfType<SnapChunk>().Select(c => c.Chunk));
        var diff = rest.OfType<Proposal>().SelectMany(p => p.Txns).Select(t => t.Header.Zxid).ToList();
        Assert.Equal([zxid - 1, zxid], diff); // everything after the snapshot, the write made while it streamed included
        Assert.IsType<NewLeader>(rest.SkipWhile(m => m is not NewLeader).First());
        Assert.True(rest.IndexOf(rest.OfType<SnapChunk>().Last()) < rest.IndexOf(rest.OfType<Proposal>().First()));
        // LeaderInfo was 1 and chunks a..c 2..4: the rest is numbered on from 5, with no hole.
        Assert.Equal(Enumerable.Range(5, rest.Count).Select(i => (long)i), rest.Select(m => ((LinkMessage)m).Seq));
    }

    [Fact]
    public void A_leader_that_drops_a_link_for_a_gap_or_a_stale_message_tells_the_learner()
    {
        var core = LeaderWithAFarBehindLearner(out _);
        core.Step(2, new Pong(20, 9), 0); // member 2's link was at 6: a gap
        var reset = Assert.Single(core.TakeEffects().OfType<Send>(), s => s.To == 2).Message;
        Assert.Equal(20, Assert.IsType<LinkReset>(reset).LinkId);
        Assert.Contains("arrived after", ((LinkReset)reset).Reason);
        core.Step(2, new Pong(20, 10), 0); // and again for anything still arriving on the dropped link
        Assert.IsType<LinkReset>(Assert.Single(core.TakeEffects().OfType<Send>(), s => s.To == 2).Message);
        core.Step(3, new SnapChunkAck(30, 3, 0), 0); // member 3 acknowledges a chunk it was never sent
        Assert.Contains(core.TakeEffects(), e => e is Send { To: 3, Message: LinkReset { LinkId: 30 } });
        core.Step(2, new LinkReset(20, 1, "a leader's notice reaching a leader"), 0);
        Assert.DoesNotContain(core.TakeEffects(), e => e is Send);
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

    [Fact]
    public void A_member_that_keeps_looking_says_so_every_few_seconds_with_what_it_heard()
    {
        var core = Core(2);
        core.Tick(1_000);
        core.Step(3, new Vote(3, 0, 0, 1, PeerState.Following), 1_000);
        core.TakeEffects();
        core.Tick(4_999);
        Assert.DoesNotContain(core.TakeEffects(), e => e is StillLooking);
        core.Tick(5_000);
        var said = Assert.Single(core.TakeEffects().OfType<StillLooking>());
        Assert.Equal(5_000, said.ForMs);
        Assert.Contains("3: 3 following", said.Heard); // member 3 named itself while following: no leader says it leads
        core.Tick(9_999);
        Assert.DoesNotContain(core.TakeEffects(), e => e is StillLooking);
        core.Tick(10_000);
        Assert.Equal(10_000, Assert.Single(core.TakeEffects().OfType<StillLooking>()).ForMs);
    }

    [Fact]
    public void A_member_that_hears_only_the_leader_say_it_leads_joins_it_after_the_sync_limit()
    {
        // Found by the chaos soak: a member restarted under kill -9 could hear the leader but never its follower (the
        // transport between the two had lost its way), so no quorum ever confirmed the leader and it looked for good.
        var core = Core(3);
        long syncLimit = SimOptions.Timing.SyncLimitMs;
        var leads = new Vote(2, 40, 4, 7, PeerState.Leading);
        long t = 10;
        for (; t < 2 * syncLimit + 10; t += 20)
        {
            core.Step(2, leads, t);
            core.Tick(t);
            // A leader paused or cut off says it leads for at most a sync limit after it comes back: not yet.
            Assert.Equal(PeerState.Looking, core.State);
        }
        core.Step(2, leads, t);
        core.Tick(t);
        Assert.Equal(PeerState.Following, core.State);
        Assert.Equal(2, core.LeaderId);
        var effects = core.TakeEffects();
        Assert.Contains("on its own word", effects.OfType<RoleChanged>().Last().Reason);
        Assert.Contains(effects, e => e is Send { To: 2, Message: FollowerInfo }); // and it asks the leader to sync it
    }

    [Fact]
    public void A_stale_claim_of_leadership_is_not_joined()
    {
        var core = Core(3);
        long syncLimit = SimOptions.Timing.SyncLimitMs;
        var leads = new Vote(2, 40, 4, 7, PeerState.Leading);
        for (long t = 10; t < syncLimit + 10; t += 20) core.Step(2, leads, t); // said for a sync limit, then silence
        core.Tick(syncLimit + 11);
        core.Tick(3 * syncLimit);
        Assert.Equal(PeerState.Looking, core.State);
        // Saying it again later starts a new run of claims: two sync limits from then, not from the first.
        core.Step(2, leads, 3 * syncLimit);
        core.Tick(3 * syncLimit + 1);
        Assert.Equal(PeerState.Looking, core.State);
    }
}

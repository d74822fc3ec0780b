using Akka.Actor;
using Coord.Actors.Core;
using Coord.Actors.Journal;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
using Coord.Actors.Settings;
using Coord.Actors.Time;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Actors.Specs.Sequencer;

/// <summary>The sequencer hop on its own: a TestProbe stands where the journal actor would be.</summary>
public sealed class SequencerActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly ManualClock _clock = new();
    private readonly DataTree _tree = new();
    private readonly Akka.TestKit.TestProbe _journal;
    private readonly IActorRef _sequencer;

    public SequencerActorSpecs()
    {
        CoreConfig.Inject(Sys);
        _journal = CreateTestProbe();
        var settings = SequencerHarness.DefaultSettings;
        var core = new SequencerCore(settings, _tree, epoch: 0, _clock.MonotonicMs);
        _sequencer = Sys.ActorOf(SequencerActor.Props(core, _clock, _journal.Ref, new CoreThreadGuard(), NullLogger.Instance));
    }

    /// <summary>Applies what the sequencer decided, as the applier would (the sequencer is idle: it waits for the next message).</summary>
    private void Apply(AppendTxns append)
    {
        foreach (var txn in append.Txns) _tree.Apply(txn);
        _sequencer.Tell(new Applied(_tree.LastAppliedZxid));
    }

    private AppendTxns NextAppend() => _journal.ExpectMsg<AppendTxns>(TimeSpan.FromSeconds(5));

    [Fact]
    public void A_burst_of_forwarded_writes_leaves_as_one_append_in_zxid_order_naming_each_request()
    {
        _sequencer.Tell(new CreateSessionRequest(0x42, 10_000, new byte[16]));
        var created = NextAppend();
        Assert.IsType<CreateSessionTxn>(Assert.Single(created.Txns).Body);
        Apply(created);

        _sequencer.Tell(new ForwardedWrites([.. Enumerable.Range(1, 3).Select(xid =>
            new ClientRequest(0x42, 7, xid, OpCode.Create, new CreateRequest($"/b{xid}", null, Acl.OpenAclUnsafe, 0), []))]));
        var burst = NextAppend();
        Assert.Equal([(0x42L, 1, 2L), (0x42L, 2, 3L), (0x42L, 3, 4L)],
            burst.Txns.Select(t => (t.Header.SessionId, t.Header.Cxid, t.Header.Zxid)));
        Assert.All(burst.Txns, t => Assert.IsType<CreateTxn>(t.Body));
    }

    [Fact]
    public void A_silent_session_is_expired_by_the_tick_with_a_close_of_its_own_and_its_later_writes_fail()
    {
        _sequencer.Tell(new CreateSessionRequest(0x42, 2000, new byte[16]));
        Apply(NextAppend());
        _clock.Advance(1500);
        _sequencer.Tell(new SessionsTouched([]));
        _clock.Advance(2000);
        _sequencer.Tell(new SessionsTouched([]));
        var expiry = Assert.Single(NextAppend().Txns);
        Assert.Equal((0x42L, 0), (expiry.Header.SessionId, expiry.Header.Cxid));
        Assert.Equal(0x42L, Assert.IsType<CloseSessionTxn>(expiry.Body).SessionId);

        _sequencer.Tell(new ForwardedWrites([new ClientRequest(0x42, 7, 9, OpCode.Create, new CreateRequest("/late", null, Acl.OpenAclUnsafe, 0), [])]));
        var late = Assert.Single(NextAppend().Txns);
        Assert.Equal(9, late.Header.Cxid);
        Assert.Equal(ErrorCode.SessionExpired, Assert.IsType<ErrorTxn>(late.Body).Err);
    }

    [Fact]
    public void A_reconnect_is_confirmed_while_the_session_lives_and_refused_once_its_expiry_is_decided_though_not_yet_applied()
    {
        _sequencer.Tell(new CreateSessionRequest(0x42, 2000, new byte[16]));
        Apply(NextAppend());

        // Live: confirmed, and the reconnect's timeout (4000 ms) is the one the tracker counts from now on.
        _clock.Advance(1500);
        _sequencer.Tell(new SessionRevalidation(0x42, 4000, ConnectionId: 7) { Origin = 3 });
        Assert.Equal(new SessionRevalidated(0x42, 7, true) { Origin = 3 }, ExpectMsg<SessionRevalidated>());
        _clock.Advance(3000);
        _sequencer.Tell(new SessionsTouched([]));
        _journal.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // Silent past the new timeout: the expiry is decided (and not applied here: the tree still has the session).
        _clock.Advance(2000);
        _sequencer.Tell(new SessionsTouched([]));
        Assert.IsType<CloseSessionTxn>(Assert.Single(NextAppend().Txns).Body);
        Assert.True(_tree.Sessions.ContainsKey(0x42));
        _sequencer.Tell(new SessionRevalidation(0x42, 4000, ConnectionId: 8) { Origin = 3 });
        Assert.Equal(new SessionRevalidated(0x42, 8, false) { Origin = 3 }, ExpectMsg<SessionRevalidated>());

        _sequencer.Tell(new SessionRevalidation(0x99, 4000, ConnectionId: 9));
        Assert.False(ExpectMsg<SessionRevalidated>().Valid);
    }

    [Fact]
    public void Writes_are_taken_only_from_the_member_the_session_is_attached_to()
    {
        ClientRequest Set(int xid) => new(0x42, 7, xid, OpCode.SetData, new SetDataRequest("/", null, -1), []);
        Txn Body(AppendTxns append) => Assert.Single(append.Txns).Body;

        _sequencer.Tell(new CreateSessionRequest(0x42, 10_000, new byte[16]) { Origin = 2 });
        Apply(NextAppend());
        _sequencer.Tell(new ForwardedWrites([Set(1)]) { Origin = 2 });
        Assert.IsType<SetDataTxn>(Body(NextAppend()));

        // The client re-attached on member 3: what member 2 still forwards is refused, member 3's writes are taken.
        _sequencer.Tell(new SessionRevalidation(0x42, 10_000, ConnectionId: 8) { Origin = 3 });
        Assert.True(ExpectMsg<SessionRevalidated>().Valid);
        _sequencer.Tell(new ForwardedWrites([Set(2)]) { Origin = 2 });
        Assert.Equal(ErrorCode.SessionMoved, Assert.IsType<ErrorTxn>(Body(NextAppend())).Err);
        _sequencer.Tell(new ForwardedWrites([Set(3)]) { Origin = 3 });
        Assert.IsType<SetDataTxn>(Body(NextAppend()));
    }

    [Fact]
    public async Task Touches_reported_by_the_applier_keep_a_reading_session_alive()
    {
        _sequencer.Tell(new CreateSessionRequest(0x42, 2000, new byte[16]));
        Apply(NextAppend());
        for (int i = 0; i < 5; i++)
        {
            _clock.Advance(1500);
            _sequencer.Tell(new SessionsTouched([0x42]));
        }
        var report = await _sequencer.Ask<ExpiryReport>(ExpiryQuery.Instance, TimeSpan.FromSeconds(5));
        Assert.Contains(report.Expiry, b => b.Sessions.Contains(0x42));
        // A second round trip: a flush the ticks queued behind the first question has been handled by now.
        await _sequencer.Ask<ExpiryReport>(ExpiryQuery.Instance, TimeSpan.FromSeconds(5));
        _journal.ExpectNoMsg(TimeSpan.Zero);
    }
}

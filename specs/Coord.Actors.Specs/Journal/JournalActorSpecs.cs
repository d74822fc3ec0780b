using Akka.Actor;
using Coord.Actors.Applier;
using Coord.Actors.Core;
using Coord.Actors.Journal;
using Coord.Actors.Txns;
using Coord.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Actors.Specs.Journal;

/// <summary>The journal hop on its own: a TestProbe stands where the applier (or replication) would be.</summary>
public sealed class JournalActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    public JournalActorSpecs() => CoreConfig.Inject(Sys);

    private static SequencedTxn Txn(long zxid) => new(new TxnHeader(1, (int)zxid, zxid, 0), new ErrorTxn(ErrorCode.Ok));

    [Fact]
    public async Task A_batch_is_committed_once_durable_and_what_arrives_meanwhile_becomes_the_next_batch()
    {
        var journal = new GatedJournal();
        var commits = CreateTestProbe();
        var counters = new CoreCounters();
        var actor = Sys.ActorOf(JournalActor.Props(journal, commits.Ref, counters, NullLogger.Instance));

        actor.Tell(new AppendTxns([Txn(1)]));
        var first = await journal.NextAppendAsync();
        actor.Tell(new AppendTxns([Txn(2), Txn(3)]));
        actor.Tell(new AppendTxns([Txn(4)]));
        Assert.Equal(new JournalStatus(AppendInFlight: true, QueuedTxns: 3), await actor.Ask<JournalStatus>(JournalStatusQuery.Instance, TimeSpan.FromSeconds(5)));
        commits.ExpectNoMsg(TimeSpan.Zero); // nothing is committed before the journal says durable

        first.SetResult();
        Assert.Equal([1L], commits.ExpectMsg<Committed>(TimeSpan.FromSeconds(5)).Txns.Select(t => t.Header.Zxid));
        (await journal.NextAppendAsync()).SetResult();
        Assert.Equal([2L, 3L, 4L], commits.ExpectMsg<Committed>(TimeSpan.FromSeconds(5)).Txns.Select(t => t.Header.Zxid));
        Assert.Equal((2L, 4L), (counters.JournalBatches, counters.JournalTxns));
    }

    [Fact]
    public void A_synchronous_journal_commits_each_batch_in_order_without_waiting()
    {
        var commits = CreateTestProbe();
        var actor = Sys.ActorOf(JournalActor.Props(new InMemoryJournal(), commits.Ref, new CoreCounters(), NullLogger.Instance));
        actor.Tell(new AppendTxns([Txn(1), Txn(2)]));
        actor.Tell(new AppendTxns([Txn(3)]));
        Assert.Equal([1L, 2L], commits.ExpectMsg<Committed>(TimeSpan.FromSeconds(5)).Txns.Select(t => t.Header.Zxid));
        Assert.Equal([3L], commits.ExpectMsg<Committed>(TimeSpan.FromSeconds(5)).Txns.Select(t => t.Header.Zxid));
    }

    [Fact]
    public void A_new_epoch_is_persisted_between_the_txns_before_it_and_the_first_txn_of_it()
    {
        var journal = new InMemoryJournal();
        var commits = CreateTestProbe();
        var actor = Sys.ActorOf(JournalActor.Props(journal, commits.Ref, new CoreCounters(), NullLogger.Instance));
        long e1 = (1L << 32) | 1;
        actor.Tell(new AppendTxns([Txn(1), Txn(2), Txn(e1)], [(2, 1L)]));
        Assert.Equal([1L, 2L], commits.ExpectMsg<Committed>(TimeSpan.FromSeconds(5)).Txns.Select(t => t.Header.Zxid));
        Assert.Equal([e1], commits.ExpectMsg<Committed>(TimeSpan.FromSeconds(5)).Txns.Select(t => t.Header.Zxid));
        Assert.Equal((1L, 1L), (journal.AcceptedEpoch, journal.CurrentEpoch));
    }
}

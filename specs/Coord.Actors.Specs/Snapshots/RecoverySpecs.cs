using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using FsCheck;
using FsCheck.Fluent;

namespace Coord.Actors.Specs.Snapshots;

public sealed class RecoverySpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ListLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private static InMemoryJournal JournalOf(IEnumerable<SequencedTxn> txns, int retained = InMemoryJournal.TxnsRetainedMaxDefault)
    {
        var j = new InMemoryJournal(retained);
        j.AppendAsync(txns.ToList()).AsTask().GetAwaiter().GetResult();
        return j;
    }

    [Fact]
    public void Recovery_equals_the_live_tree_after_random_histories_with_snapshots_at_random_points()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), Arb.From(Gen.ListOf(Gen.Choose(0, 60))), (seed, chunks) =>
        {
            using var dir = new TempDir();
            var store = new SnapshotStore(dir.Path);
            var h = new History(seed);
            long lastSnapshot = 0;
            foreach (int ops in chunks)
            {
                h.Run(ops);
                if (ops % 3 != 0) { store.Write(h.Tree.Capture()); lastSnapshot = h.Tree.LastAppliedZxid; }
            }
            h.Run(chunks.Count() % 7);
            var r = Recovery.Recover(store, JournalOf(h.Txns), new ListLogger());
            SnapshotFormatSpecs.AssertSameState(h.Tree, r.Tree);
            Assert.Equal(lastSnapshot, r.SnapshotZxid);
            Assert.Equal(h.Tree.LastAppliedZxid, r.LastZxid);
            Assert.Equal(h.Tree.LastAppliedZxid - lastSnapshot, r.TxnsReplayed);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Fact]
    public void A_corrupt_newest_snapshot_falls_back_to_the_previous_one_and_replays_more()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var h = new History(seed: 21);
        h.Run(100);
        long older = store.Write(h.Tree.Capture()).Zxid;
        h.Run(100);
        var newest = store.Write(h.Tree.Capture());
        h.Run(50);
        File.WriteAllBytes(newest.Path, File.ReadAllBytes(newest.Path)[..^1]);

        var r = Recovery.Recover(store, JournalOf(h.Txns), _log);
        Assert.Equal(older, r.SnapshotZxid);
        Assert.Equal((int)(h.Zxid - older), r.TxnsReplayed);
        Assert.Equal(h.Tree.Digest(), r.Tree.Digest());
        Assert.Contains(_log.Warnings, w => w.Contains(Path.GetFileName(newest.Path), StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_valid_snapshot_a_full_journal_replays_from_zero()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var h = new History(seed: 8);
        h.Run(300);
        File.WriteAllText(Path.Combine(_dir.Path, SnapshotStore.FileNameFor(50)), "not a snapshot");

        var r = Recovery.Recover(store, JournalOf(h.Txns), _log);
        Assert.Equal(0, r.SnapshotZxid);
        Assert.Equal(h.Txns.Count, r.TxnsReplayed);
        Assert.Equal(h.Tree.Digest(), r.Tree.Digest());
    }

    [Fact]
    public void Empty_data_dir_and_empty_journal_give_a_fresh_tree()
    {
        var r = Recovery.Recover(new SnapshotStore(_dir.Path), new InMemoryJournal(), _log);
        Assert.Equal(new DataTree().Digest(), r.Tree.Digest());
        Assert.Equal((0L, 0L, 0), (r.SnapshotZxid, r.LastZxid, r.TxnsReplayed));
    }

    [Fact]
    public void A_gap_after_the_snapshot_refuses_to_start_and_says_what_was_found()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var h = new History(seed: 4);
        h.Run(50);
        var covering = store.Write(h.Tree.Capture());
        h.Run(200);
        // The journal was purged up to the covering snapshot's zxid + 100, and that snapshot is now corrupt.
        var journal = JournalOf(h.Txns.Where(t => t.Header.Zxid > covering.Zxid + 100));
        File.WriteAllBytes(covering.Path, [1, 2, 3]);

        var e = Assert.Throws<RecoveryException>(() => Recovery.Recover(store, journal, _log));
        Assert.Contains("no valid snapshot", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(covering.Path), e.Message, StringComparison.Ordinal);
        Assert.Contains($"0x{covering.Zxid + 101:x}", e.Message, StringComparison.Ordinal);
        Assert.Contains("missing or corrupt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_journal_that_no_longer_holds_the_txns_after_the_snapshot_refuses_to_start()
    {
        var h = new History(seed: 6);
        h.Run(200);
        var journal = JournalOf(h.Txns, retained: 50); // InMemoryJournal reports the gap itself
        var e = Assert.Throws<RecoveryException>(() => Recovery.Recover(new SnapshotStore(_dir.Path), journal, _log));
        Assert.Contains("cannot supply the txns after 0x0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Txns_missing_in_the_middle_of_the_journal_refuse_to_start()
    {
        var h = new History(seed: 11);
        h.Run(120);
        var journal = JournalOf(h.Txns.Where(t => t.Header.Zxid is < 40 or > 45));
        var e = Assert.Throws<RecoveryException>(() => Recovery.Recover(new SnapshotStore(_dir.Path), journal, _log));
        Assert.Contains("the journal skips from 0x27 to 0x2e", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_txn_that_does_not_apply_refuses_to_start()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var h = new History(seed: 9);
        h.Run(50);
        store.Write(h.Tree.Capture());
        long next = h.Zxid + 1;
        var bad = new SequencedTxn(new TxnHeader(1, 1, next, 0), new DeleteTxn("/no/such/node"));
        var e = Assert.Throws<RecoveryException>(() => Recovery.Recover(store, JournalOf(h.Txns.Append(bad)), _log));
        Assert.Contains($"journal txn 0x{next:x} (Delete) does not apply", e.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(e.InnerException);
    }

    [Fact]
    public void Sessions_and_their_ephemerals_come_back()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var t = new DataTree();
        var txns = new List<SequencedTxn>();
        long z = 0;
        void Apply(long sid, Txn body)
        {
            var s = new SequencedTxn(new TxnHeader(sid, 1, ++z, z), body);
            t.Apply(s);
            txns.Add(s);
        }
        Apply(0x71, new CreateSessionTxn(0x71, 6_000, [1, 2, 3]));
        Apply(0x71, new CreateTxn("/lock", null, Acl.OpenAclUnsafe, 0x71, 1));
        store.Write(t.Capture());
        Apply(0x72, new CreateSessionTxn(0x72, 9_000, [4]));
        Apply(0x72, new CreateTxn("/member", [], Acl.OpenAclUnsafe, 0x72, 2));

        var r = Recovery.Recover(store, JournalOf(txns), _log);
        Assert.Equal(2, r.TxnsReplayed);
        Assert.Equal([0x71L, 0x72L], r.Tree.Sessions.Keys.Order());
        Assert.Equal(6_000, r.Tree.Sessions[0x71].TimeoutMs);
        Assert.Equal([1, 2, 3], r.Tree.Sessions[0x71].Password);
        Assert.Equal(["/lock"], r.Tree.EphemeralsOf(0x71));
        Assert.Equal(["/member"], r.Tree.EphemeralsOf(0x72));
        Assert.Equal(0x72, r.Tree.Get("/member")!.Stat.EphemeralOwner);
        // A restored session closes as usual, taking its ephemerals with it.
        r.Tree.Apply(new SequencedTxn(new TxnHeader(0x71, 0, ++z, z), new CloseSessionTxn(0x71, ["/lock"])));
        Assert.Null(r.Tree.Get("/lock"));
    }

    [Fact]
    public void Replay_applies_in_order_and_reports_a_gap_or_a_txn_that_does_not_apply_instead_of_throwing()
    {
        var h = new History(seed: 13);
        h.Run(40);
        var all = new DataTree();
        Assert.Equal(new ReplayOutcome(h.Txns.Count, null), Recovery.Replay(all, h.Txns));
        Assert.Equal(h.Tree.Digest(), all.Digest());

        var gapped = new DataTree();
        var gap = Recovery.Replay(gapped, h.Txns.Where(t => t.Header.Zxid != 20));
        Assert.Equal(new ReplayOutcome(19, new ReplayGap(19, 21)), gap);
        Assert.Equal(19, gapped.LastAppliedZxid);

        var bad = new SequencedTxn(new TxnHeader(1, 1, h.Zxid + 1, 0), new DeleteTxn("/no/such/node"));
        var stopped = new DataTree();
        var outcome = Recovery.Replay(stopped, h.Txns.Append(bad).Append(bad));
        Assert.Equal(h.Txns.Count, outcome.Applied);
        var notApplied = Assert.IsType<ReplayNotApplied>(outcome.Stop);
        Assert.Same(bad, notApplied.Txn);
        Assert.Equal(h.Zxid, notApplied.PreviousZxid);
    }

    [Theory]
    [InlineData(0x0000000100000005L, 0x0000000100000006L, true)]
    [InlineData(0x0000000100000005L, 0x0000000200000001L, true)] // a new epoch starts its counter at 1
    [InlineData(0L, 0x0000000100000001L, true)]
    [InlineData(0x0000000100000005L, 0x0000000100000007L, false)]
    [InlineData(0x0000000100000005L, 0x0000000200000002L, false)]
    public void A_txn_follows_the_previous_one_in_its_epoch_or_starts_a_new_epoch(long previous, long next, bool follows) =>
        Assert.Equal(follows, Recovery.Follows(previous, next));
}

using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using FsCheck;
using FsCheck.Fluent;

namespace Coord.Actors.Specs.Snapshots;

/// <summary>
/// Zab's TRUNC on a member's stored state (<see cref="Recovery.TruncateAfterAsync"/>): the journal's tail after
/// a zxid is dropped, snapshots newer than it are deleted, and the tree rebuilt from what remains equals the
/// tree replayed from scratch to that zxid. Refusals change nothing. (Every journal implementation runs the
/// same through the JournalConformance suite; these specs vary the history, the cut and the damage.)
/// </summary>
public sealed class TailTruncationSpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ListLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private static InMemoryJournal JournalOf(IEnumerable<SequencedTxn> txns)
    {
        var j = new InMemoryJournal();
        j.AppendAsync(txns.ToList()).AsTask().GetAwaiter().GetResult();
        return j;
    }

    private static DataTree ReplayedTo(IEnumerable<SequencedTxn> txns, long cut)
    {
        var tree = new DataTree();
        Assert.Null(Recovery.Replay(tree, txns.TakeWhile(t => t.Header.Zxid <= cut)).Stop);
        return tree;
    }

    private static string[] Names(SnapshotStore store) => store.List().Select(f => Path.GetFileName(f.Path)).ToArray();

    [Fact]
    public void After_random_histories_snapshots_and_cuts_the_rebuilt_tree_equals_the_tree_replayed_to_the_cut()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), Arb.From(Gen.ListOf(Gen.Choose(0, 40))), Arb.From(Gen.Choose(0, 1000)),
            (seed, chunks, cutPerMille) =>
        {
            using var dir = new TempDir();
            var store = new SnapshotStore(dir.Path);
            var h = new History(seed);
            foreach (int ops in chunks)
            {
                h.Run(ops);
                if (ops % 3 != 0) store.Write(h.Tree.Capture());
            }
            h.Run(5);
            long cut = h.Zxid * cutPerMille / 1000;
            var journal = JournalOf(h.Txns);

            var r = Recovery.TruncateAfterAsync(store, journal, cut, new ListLogger()).AsTask().GetAwaiter().GetResult();

            SnapshotFormatSpecs.AssertSameState(ReplayedTo(h.Txns, cut), r.Tree);
            Assert.Equal(cut, journal.LastDurableZxid);
            Assert.All(store.List(), f => Assert.True(f.Zxid <= cut, $"{f} is newer than the cut 0x{cut:x}"));
            Assert.Equal(r.Tree.Digest(), Recovery.Recover(store, journal, new ListLogger()).Tree.Digest());
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(40));
    }

    [Fact]
    public async Task A_small_tree_comes_back_node_by_node_as_it_was_at_the_cut_below_the_newest_snapshot()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var live = new DataTree();
        var txns = new List<SequencedTxn>();
        void Commit(long zxid, Txn body)
        {
            var t = new SequencedTxn(new TxnHeader(0x51, (int)zxid, zxid, 1_000 * zxid), body);
            live.Apply(t);
            txns.Add(t);
        }
        Commit(1, new CreateSessionTxn(0x51, 6_000, [1]));
        Commit(2, new CreateTxn("/app", [1], Acl.OpenAclUnsafe, 0, 1));
        Commit(3, new CreateTxn("/app/lock", [], Acl.OpenAclUnsafe, 0x51, 1));
        store.Write(live.Capture());                                  // snapshot at 3
        Commit(4, new SetDataTxn("/app", [2], 1));
        Commit(5, new DeleteTxn("/app/lock"));
        store.Write(live.Capture());                                  // snapshot at 5
        Commit(6, new CreateTxn("/app/cfg", [9], Acl.ReadAclUnsafe, 0, 2));
        Commit(7, new CloseSessionTxn(0x51, []));
        var journal = JournalOf(txns);

        var r = await Recovery.TruncateAfterAsync(store, journal, 4, _log);

        // What a client would read at zxid 4: /app holds its second value, the ephemeral lock is still there,
        // /app/cfg never existed and the session is open.
        var app = r.Tree.Get("/app")!;
        Assert.Equal(new byte[] { 2 }, app.Data);
        Assert.Equal((2L, 4L, 1, 1), (app.Stat.Czxid, app.Stat.Mzxid, app.Stat.Version, app.Stat.NumChildren));
        var lockNode = r.Tree.Get("/app/lock")!;
        Assert.Equal((3L, 0x51L), (lockNode.Stat.Czxid, lockNode.Stat.EphemeralOwner));
        Assert.Null(r.Tree.Get("/app/cfg"));
        Assert.Equal(["/app/lock"], r.Tree.EphemeralsOf(0x51));
        SnapshotFormatSpecs.AssertSameState(ReplayedTo(txns, 4), r.Tree);
        Assert.Equal((3L, 4L, 1), (r.SnapshotZxid, r.LastZxid, r.TxnsReplayed));
        Assert.Equal([SnapshotStore.FileNameFor(3)], Names(store));
        Assert.Contains(_log.Entries, e => e.EventId == 4004 && e.Message.Contains(SnapshotStore.FileNameFor(5), StringComparison.Ordinal));
        Assert.Contains(_log.Entries, e => e.EventId == 4102);
    }

    [Fact]
    public async Task Truncating_below_every_snapshot_replays_from_an_empty_tree()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var h = new History(seed: 31);
        h.Run(40);
        long first = store.Write(h.Tree.Capture()).Zxid;
        h.Run(20);
        store.Write(h.Tree.Capture());
        var journal = JournalOf(h.Txns);

        var r = await Recovery.TruncateAfterAsync(store, journal, first - 10, _log);

        SnapshotFormatSpecs.AssertSameState(ReplayedTo(h.Txns, first - 10), r.Tree);
        Assert.Equal(0, r.SnapshotZxid);
        Assert.Empty(store.List());
    }

    [Fact]
    public async Task A_corrupt_snapshot_at_or_below_the_cut_is_passed_over_as_recovery_does()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var h = new History(seed: 17);
        h.Run(30);
        long older = store.Write(h.Tree.Capture()).Zxid;
        h.Run(30);
        var nearer = store.Write(h.Tree.Capture());
        h.Run(30);
        store.Write(h.Tree.Capture());
        File.WriteAllBytes(nearer.Path, [1, 2, 3]);
        long cut = nearer.Zxid + 5;

        var r = await Recovery.TruncateAfterAsync(store, JournalOf(h.Txns), cut, _log);

        Assert.Equal(older, r.SnapshotZxid);
        SnapshotFormatSpecs.AssertSameState(ReplayedTo(h.Txns, cut), r.Tree);
    }

    [Fact]
    public async Task Truncating_at_or_after_the_end_changes_nothing()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var h = new History(seed: 3);
        h.Run(50);
        store.Write(h.Tree.Capture());
        var journal = JournalOf(h.Txns);

        foreach (long cut in new[] { h.Zxid, h.Zxid + 100 })
        {
            var r = await Recovery.TruncateAfterAsync(store, journal, cut, _log);
            SnapshotFormatSpecs.AssertSameState(h.Tree, r.Tree);
            Assert.Equal(h.Zxid, journal.LastDurableZxid);
            Assert.Single(store.List());
        }
    }

    [Fact]
    public async Task When_the_txns_before_the_cut_were_purged_it_refuses_and_changes_nothing()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var h = new History(seed: 23);
        h.Run(60);
        var snapshot = store.Write(h.Tree.Capture());
        h.Run(20);
        var journal = JournalOf(h.Txns);
        await journal.PurgeThroughAsync(snapshot.Zxid); // the snapshot covers them, so retention dropped them

        var e = await Assert.ThrowsAsync<TruncationRefusedException>(async () =>
            await Recovery.TruncateAfterAsync(store, journal, snapshot.Zxid - 5, _log));

        Assert.Contains($"cannot rebuild the state at 0x{snapshot.Zxid - 5:x}", e.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed; resync this member from a snapshot", e.Message, StringComparison.Ordinal);
        Assert.Equal([snapshot], store.List());
        Assert.Equal(h.Zxid, journal.LastDurableZxid);
        Assert.Equal(h.Tree.Digest(), Recovery.Recover(store, journal, _log).Tree.Digest());
    }

    [Fact]
    public async Task When_txns_up_to_the_cut_may_exist_only_in_a_newer_snapshot_it_refuses_and_changes_nothing()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var h = new History(seed: 29);
        h.Run(60);
        var snapshot = store.Write(h.Tree.Capture());
        var journal = JournalOf(h.Txns.Take(30)); // the journal ends well before the snapshot (say, it was restored from an older backup)
        long cut = 40;

        var e = await Assert.ThrowsAsync<TruncationRefusedException>(async () =>
            await Recovery.TruncateAfterAsync(store, journal, cut, _log));

        Assert.Contains("the journal ends at 0x1e", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(snapshot.Path), e.Message, StringComparison.Ordinal);
        Assert.Equal([snapshot], store.List());
        Assert.Equal(30, journal.LastDurableZxid);
    }

    [Fact]
    public async Task If_the_journal_fails_after_the_newer_snapshots_are_gone_a_restart_recovers_the_state_before_the_truncation()
    {
        var store = new SnapshotStore(_dir.Path, _log);
        var h = new History(seed: 37);
        h.Run(40);
        long older = store.Write(h.Tree.Capture()).Zxid;
        h.Run(40);
        store.Write(h.Tree.Capture());
        h.Run(10);
        string journalDir = Path.Combine(_dir.Path, "journal");
        await using (var journal = FaultInjectingJournal.OverSqlite(journalDir))
        {
            await journal.AppendAsync(h.Txns);
            journal.FailNextAppend(new IOException("disk gone"));
            await Assert.ThrowsAsync<IOException>(async () => await journal.AppendAsync([new(new(1, 1, h.Zxid + 1, 0), new DeleteTxn("/x"))]));

            await Assert.ThrowsAsync<IOException>(async () => await Recovery.TruncateAfterAsync(store, journal, older + 5, _log));
        }

        // The crash point between the two steps: the newer snapshot is gone, the journal still holds its tail.
        Assert.Equal([older], store.List().Select(f => f.Zxid));
        await using var reopened = SqliteJournal.Open(journalDir);
        var r = Recovery.Recover(store, reopened, _log);
        SnapshotFormatSpecs.AssertSameState(h.Tree, r.Tree);
    }
}

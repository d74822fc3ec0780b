using Coord.Actors.Journal;
using Coord.Actors.Specs.Snapshots;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Microsoft.Extensions.Logging.Abstractions;
using static Coord.Actors.Specs.Journal.JournalTxns;

namespace Coord.Actors.Specs.Journal;

/// <summary>
/// Zab's TRUNC through <see cref="Recovery.TruncateAfterAsync"/> on every journal: the journal's tail is gone
/// and the rebuilt tree is the tree replayed from scratch to the cut, across a snapshot boundary.
/// </summary>
public abstract partial class JournalConformance
{
    /// <summary>A history with snapshots after 30 and 60 writes and txns past the second; the cut falls between the snapshots.</summary>
    private protected sealed record TruncationSetup(History History, SnapshotStore Store, SnapshotFile Older, SnapshotFile Newer, long Cut);

    private protected static TruncationSetup TwoSnapshotsAndACutBetweenThem(string snapshotDir)
    {
        var store = new SnapshotStore(snapshotDir);
        var h = new History(seed: 5);
        h.Run(30);
        var older = store.Write(h.Tree.Capture());
        h.Run(30);
        var newer = store.Write(h.Tree.Capture());
        h.Run(15);
        return new TruncationSetup(h, store, older, newer, (older.Zxid + newer.Zxid) / 2);
    }

    /// <summary>The tree a member that never saw anything after <paramref name="cut"/> would have.</summary>
    private protected static DataTree ReplayedTo(IEnumerable<SequencedTxn> txns, long cut)
    {
        var tree = new DataTree();
        Assert.Null(Recovery.Replay(tree, txns.TakeWhile(t => t.Header.Zxid <= cut)).Stop);
        return tree;
    }

    [Fact]
    public async Task TruncateAfter_with_the_tree_rebuilt_equals_the_tree_replayed_to_the_cut_across_a_snapshot()
    {
        using var dir = new TempDir();
        var s = TwoSnapshotsAndACutBetweenThem(dir.Path);
        var j = Open();
        await j.AppendAsync(s.History.Txns);

        var rebuilt = await Recovery.TruncateAfterAsync(s.Store, j, s.Cut, NullLogger.Instance);

        SnapshotFormatSpecs.AssertSameState(ReplayedTo(s.History.Txns, s.Cut), rebuilt.Tree);
        Assert.Equal((s.Older.Zxid, s.Cut, (int)(s.Cut - s.Older.Zxid)), (rebuilt.SnapshotZxid, rebuilt.LastZxid, rebuilt.TxnsReplayed));
        Assert.Equal(s.Cut, j.LastDurableZxid);
        Assert.Equal(s.History.Txns.Select(t => t.Header.Zxid).Where(z => z <= s.Cut), Zxids(j.ReadAfter(0)));
        Assert.Equal([s.Older], s.Store.List());
        // A restart now recovers the same state, not the deleted snapshot's.
        Assert.Equal(rebuilt.Tree.Digest(), Recovery.Recover(s.Store, j, NullLogger.Instance).Tree.Digest());
    }
}

public abstract partial class DurableJournalConformance
{
    [Fact]
    public async Task After_TruncateAfter_and_a_reopen_recovery_reaches_the_rebuilt_tree_and_new_txns_follow_the_cut()
    {
        using var dir = new TempDir();
        var s = TwoSnapshotsAndACutBetweenThem(dir.Path);
        ulong rebuiltDigest;
        await using (var j = OpenJournal())
        {
            await j.AppendAsync(s.History.Txns);
            rebuiltDigest = (await Recovery.TruncateAfterAsync(s.Store, j, s.Cut, NullLogger.Instance)).Tree.Digest();
        }

        var again = Open();
        Assert.Equal(s.Cut, again.LastDurableZxid);
        var recovered = Recovery.Recover(s.Store, again, NullLogger.Instance);
        Assert.Equal(rebuiltDigest, recovered.Tree.Digest());
        SnapshotFormatSpecs.AssertSameState(ReplayedTo(s.History.Txns, s.Cut), recovered.Tree);

        // The leader's history continues from the cut with different txns at the zxids that were dropped.
        var next = new SequencedTxn(new TxnHeader(0x77, 1, s.Cut + 1, 0), new CreateSessionTxn(0x77, 4_000, [7]));
        await again.AppendAsync([next]);
        var after = Recovery.Recover(s.Store, again, NullLogger.Instance);
        Assert.Equal(s.Cut + 1, after.LastZxid);
        Assert.True(after.Tree.Sessions.ContainsKey(0x77));
    }
}

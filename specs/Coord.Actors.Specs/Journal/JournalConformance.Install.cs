using Coord.Actors.Journal;
using Coord.Actors.Specs.Snapshots;
using Coord.Actors.Txns;
using Microsoft.Extensions.Logging.Abstractions;
using static Coord.Actors.Specs.Journal.JournalTxns;

namespace Coord.Actors.Specs.Journal;

/// <summary>
/// Zab's SNAP through <see cref="Recovery.InstallSnapshotAsync"/> on every journal: the leader's tree goes to
/// bytes, the follower (with a divergent history of its own, ahead of the snapshot and with a snapshot newer
/// than it) installs them, and recovery on the follower's store then gives the leader's tree, also after the
/// leader's later txns were appended.
/// </summary>
public abstract partial class JournalConformance
{
    /// <summary>
    /// The leader's history and its snapshot bytes at <see cref="Zxid"/> (after 40 writes); the follower's own
    /// history of 60 writes with snapshots after 30 and 50, one below <see cref="Zxid"/> and one above it.
    /// </summary>
    private protected sealed record InstallSetup(History Leader, byte[] Bytes, long Zxid, History Follower, SnapshotStore Store);

    private protected static InstallSetup LeaderAfter40WritesAndAFollowerAfter60(string snapshotDir)
    {
        var leader = new History(seed: 7);
        leader.Run(40);
        long zxid = leader.Zxid;
        // What the leader does: capture between two applies, serialise on any thread.
        byte[] bytes = SnapshotFormat.ToBytes(leader.Tree.Capture());
        leader.Run(15);

        var store = new SnapshotStore(snapshotDir);
        var follower = new History(seed: 11);
        follower.Run(30);
        long older = store.Write(follower.Tree.Capture()).Zxid;
        follower.Run(20);
        long newer = store.Write(follower.Tree.Capture()).Zxid;
        follower.Run(10);
        Assert.True(older < zxid && zxid < newer, $"the follower's snapshots 0x{older:x} and 0x{newer:x} must straddle the leader's 0x{zxid:x}");
        return new InstallSetup(leader, bytes, zxid, follower, store);
    }

    [Fact]
    public async Task InstallSnapshot_over_a_divergent_history_gives_the_leaders_tree_and_the_leaders_later_txns_follow_it()
    {
        using var dir = new TempDir();
        var s = LeaderAfter40WritesAndAFollowerAfter60(dir.Path);
        var j = Open();
        await j.AppendAsync(s.Follower.Txns);
        Assert.Equal(s.Follower.Zxid, j.LastDurableZxid);

        var installed = await Recovery.InstallSnapshotAsync(s.Store, j, s.Bytes, NullLogger.Instance);

        SnapshotFormatSpecs.AssertSameState(ReplayedTo(s.Leader.Txns, s.Zxid), installed.Tree);
        Assert.Equal((s.Zxid, s.Zxid, 0), (installed.SnapshotZxid, installed.LastZxid, installed.TxnsReplayed));
        Assert.Equal((s.Zxid, 0L), (j.LastDurableZxid, j.FirstZxid));
        Assert.Equal([s.Zxid], s.Store.List().Select(f => f.Zxid));
        Assert.Equal([SnapshotStore.FileNameFor(s.Zxid)], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
        SnapshotFormatSpecs.AssertSameState(installed.Tree, Recovery.Recover(s.Store, j, NullLogger.Instance).Tree);

        await j.AppendAsync(s.Leader.Txns.Where(t => t.Header.Zxid > s.Zxid).ToList());
        var recovered = Recovery.Recover(s.Store, j, NullLogger.Instance);
        SnapshotFormatSpecs.AssertSameState(s.Leader.Tree, recovered.Tree);
        Assert.Equal((s.Zxid, s.Leader.Zxid), (recovered.SnapshotZxid, recovered.LastZxid));
    }
}

public abstract partial class DurableJournalConformance
{
    [Fact]
    public async Task After_InstallSnapshot_and_a_reopen_recovery_gives_the_leaders_tree_and_appends_continue_after_it()
    {
        using var dir = new TempDir();
        var s = LeaderAfter40WritesAndAFollowerAfter60(dir.Path);
        await using (var j = OpenJournal())
        {
            await j.AppendAsync(s.Follower.Txns);
            await Recovery.InstallSnapshotAsync(s.Store, j, s.Bytes, NullLogger.Instance);
        }

        await using (var again = OpenJournal())
        {
            Assert.Equal((s.Zxid, 0L), (again.LastDurableZxid, again.FirstZxid));
            SnapshotFormatSpecs.AssertSameState(ReplayedTo(s.Leader.Txns, s.Zxid), Recovery.Recover(s.Store, again, NullLogger.Instance).Tree);
            await again.AppendAsync(s.Leader.Txns.Where(t => t.Header.Zxid > s.Zxid).ToList());
        }

        var third = Open();
        SnapshotFormatSpecs.AssertSameState(s.Leader.Tree, Recovery.Recover(s.Store, third, NullLogger.Instance).Tree);
        Assert.Equal(s.Leader.Zxid, third.LastDurableZxid);
    }
}

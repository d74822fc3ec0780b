using Coord.Actors.Applier;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Specs.Applier;

public sealed class SnapshotPolicySpecs
{
    [Theory]
    [InlineData(99, 0, false, SnapshotDecision.Wait)]
    [InlineData(100, 0, false, SnapshotDecision.Take)]
    [InlineData(5, 1000, false, SnapshotDecision.Take)]
    [InlineData(100, 0, true, SnapshotDecision.Skip)]
    [InlineData(99, 999, true, SnapshotDecision.Wait)]
    public void Takes_a_snapshot_after_n_txns_or_bytes_and_skips_one_due_while_another_is_written(
        long txns, long bytes, bool inFlight, SnapshotDecision expected) =>
        Assert.Equal(expected, SnapshotPolicy.Decide(txns, bytes, everyTxns: 100, everyBytes: 1000, inFlight));

    [Theory]
    [InlineData(100, 0, 1, 100, SnapshotDecision.Take)]         // a small tree: the txn count decides
    [InlineData(100, 0, 1, 5_000, SnapshotDecision.Wait)]       // a tree of 5,000 znodes waits for 5,000 txns
    [InlineData(4_999, 1000, 1, 5_000, SnapshotDecision.Wait)]  // the bytes trigger waits for the floor too
    [InlineData(5_000, 0, 1, 5_000, SnapshotDecision.Take)]
    [InlineData(9_999, 0, 2, 5_000, SnapshotDecision.Wait)]
    [InlineData(100, 0, 0, 5_000, SnapshotDecision.Take)]       // 0: no floor
    public void A_big_tree_is_snapshotted_no_more_often_than_once_per_txn_per_znode(
        long txns, long bytes, int minTxnsPerNode, long nodes, SnapshotDecision expected) =>
        Assert.Equal(expected, SnapshotPolicy.Decide(txns, bytes, everyTxns: 100, everyBytes: 1000, inFlight: false, nodes, minTxnsPerNode));

    [Theory]
    [InlineData(100_000, 200_000, 100_000, SnapshotDecision.Take)]  // creates only: the tree grew by the txns since
    [InlineData(99_999, 199_999, 100_000, SnapshotDecision.Wait)]
    [InlineData(100_000, 5_000, 100_000, SnapshotDecision.Take)]    // a tree shrunk by deletes costs what it is now
    [InlineData(4_999, 5_000, 100_000, SnapshotDecision.Wait)]
    public void The_floor_counts_the_smaller_of_the_tree_now_and_the_tree_the_previous_snapshot_wrote(
        long txns, long nodes, long nodesAtPrevious, SnapshotDecision expected) =>
        Assert.Equal(expected, SnapshotPolicy.Decide(txns, 0, everyTxns: 100, everyBytes: 1_000_000_000, inFlight: false,
            nodes, minTxnsPerNode: 1, nodesAtPrevious));

    /// <summary>
    /// Creates only, one per txn, from an empty tree: the floor of the current tree was never reached after the first
    /// snapshot; with the previous tree the snapshots come at doubling sizes and the journal after the newest stays
    /// within a tree's worth.
    /// </summary>
    [Fact]
    public void A_tree_grown_by_creates_only_is_snapshotted_at_doubling_sizes()
    {
        var taken = new List<long>();
        long since = 0;
        long? previous = 0;
        for (long nodes = 1; nodes <= 1_000_000; nodes++)
        {
            since++;
            if (SnapshotPolicy.Decide(since, 0, everyTxns: 100_000, everyBytes: long.MaxValue, inFlight: false, nodes, 1, previous)
                != SnapshotDecision.Take) continue;
            taken.Add(nodes);
            previous = nodes;
            since = 0;
        }
        Assert.Equal([100_000, 200_000, 400_000, 800_000], taken);
    }

    [Fact]
    public void Bytes_count_paths_and_data()
    {
        var create = new CreateTxn("/abc", new byte[100], Acl.OpenAclUnsafe, 0, 1);
        Assert.Equal(SnapshotPolicy.TxnOverheadBytes + 4 + 100, SnapshotPolicy.ApproximateBytes(create));
        var multi = new MultiTxn([create, new DeleteTxn("/x")]);
        Assert.Equal(2 * SnapshotPolicy.TxnOverheadBytes + 104 + 2 + SnapshotPolicy.TxnOverheadBytes, SnapshotPolicy.ApproximateBytes(multi));
    }
}

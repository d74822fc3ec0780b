using Coord.Actors.Sequencer;
using Coord.Actors.Txns;
using Coord.Client.Protocol;

namespace Coord.Actors.Specs.Sequencer;

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

    [Fact]
    public void Bytes_count_paths_and_data()
    {
        var create = new CreateTxn("/abc", new byte[100], Acl.OpenAclUnsafe, 0, 1);
        Assert.Equal(SnapshotPolicy.TxnOverheadBytes + 4 + 100, SnapshotPolicy.ApproximateBytes(create));
        var multi = new MultiTxn([create, new DeleteTxn("/x")]);
        Assert.Equal(2 * SnapshotPolicy.TxnOverheadBytes + 104 + 2 + SnapshotPolicy.TxnOverheadBytes, SnapshotPolicy.ApproximateBytes(multi));
    }
}

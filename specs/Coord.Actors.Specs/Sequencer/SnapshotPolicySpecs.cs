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

    [Fact]
    public void Bytes_count_paths_and_data()
    {
        var create = new CreateTxn("/abc", new byte[100], Acl.OpenAclUnsafe, 0, 1);
        Assert.Equal(SnapshotPolicy.TxnOverheadBytes + 4 + 100, SnapshotPolicy.ApproximateBytes(create));
        var multi = new MultiTxn([create, new DeleteTxn("/x")]);
        Assert.Equal(2 * SnapshotPolicy.TxnOverheadBytes + 104 + 2 + SnapshotPolicy.TxnOverheadBytes, SnapshotPolicy.ApproximateBytes(multi));
    }
}

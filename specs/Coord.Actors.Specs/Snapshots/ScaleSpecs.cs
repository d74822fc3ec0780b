using System.Diagnostics;
using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Xunit.Abstractions;

namespace Coord.Actors.Specs.Snapshots;

/// <summary>
/// Capture, serialise, write and load times for a large tree. 100,000 nodes by default so CI stays quick;
/// set COORD_SNAPSHOT_SCALE_NODES=1000000 for the figure in the README. The times are printed, not asserted
/// (machines differ); what is asserted is that the round trip is exact.
/// </summary>
public sealed class ScaleSpecs(ITestOutputHelper output)
{
    [Fact]
    public void Capture_is_cheap_and_a_large_tree_round_trips_through_a_file()
    {
        int nodes = int.TryParse(Environment.GetEnvironmentVariable("COORD_SNAPSHOT_SCALE_NODES"), out int n) ? n : 100_000;
        var tree = new DataTree();
        long z = 0;
        void Apply(Txn body) => tree.Apply(new SequencedTxn(new TxnHeader(1, 1, ++z, z), body));
        Apply(new CreateSessionTxn(0x99, 10_000, new byte[16]));
        // 1,000 parents of up to 1,000 children each; 32-byte values; every 10th child an ephemeral.
        int parents = Math.Max(1, nodes / 1_000);
        var data = new byte[32];
        for (int p = 0; p < parents; p++) Apply(new CreateTxn($"/app{p:d4}", null, Acl.OpenAclUnsafe, 0, p + 1));
        for (int i = 0; tree.NodeCount < nodes; i++)
            Apply(new CreateTxn($"/app{i % parents:d4}/node-{i:d7}", data, Acl.OpenAclUnsafe, i % 10 == 0 ? 0x99 : 0, i / parents + 1));

        var sw = Stopwatch.StartNew();
        var image = tree.Capture();
        var capture = sw.Elapsed;

        using var dir = new TempDir();
        var store = new SnapshotStore(dir.Path);
        sw.Restart();
        byte[] bytes = SnapshotFormat.ToBytes(image);
        var serialise = sw.Elapsed;
        sw.Restart();
        var file = store.Write(image);
        var write = sw.Elapsed;
        sw.Restart();
        var loaded = store.LoadNewestValid()!;
        var load = sw.Elapsed;

        Assert.Equal(file, loaded.File);
        Assert.Equal(tree.Digest(), loaded.Tree.Digest());
        Assert.Equal(tree.ApproximateDataSize, loaded.Tree.ApproximateDataSize);
        output.WriteLine($"{tree.NodeCount:n0} nodes, {bytes.Length / 1e6:f1} MB: capture {capture.TotalMilliseconds:f1} ms, " +
            $"serialise (in memory) {serialise.TotalMilliseconds:f0} ms, write+fsync {write.TotalMilliseconds:f0} ms, " +
            $"load+verify+restore {load.TotalMilliseconds:f0} ms");
    }
}

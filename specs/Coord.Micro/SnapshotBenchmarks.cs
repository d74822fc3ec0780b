using BenchmarkDotNet.Attributes;
using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Micro;

/// <summary>
/// Serialising and parsing a snapshot of 100,000 nodes (the shape of specs' ScaleSpecs: 100 parents,
/// 32-byte values, every 10th node ephemeral), in memory: the CPU and allocation cost the background
/// snapshot adds while writes go on. Divide by 100,000 for the cost per node.
/// </summary>
[MemoryDiagnoser]
public class SnapshotBenchmarks
{
    private const int Nodes = 100_000;
    private TreeImage? _image;
    private byte[] _bytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var tree = new DataTree();
        long z = 0;
        void Apply(Txn body) => tree.Apply(new SequencedTxn(new TxnHeader(1, 1, ++z, z), body));
        Apply(new CreateSessionTxn(0x99, 10_000, new byte[16]));
        int parents = Nodes / 1_000;
        var data = new byte[32];
        for (int p = 0; p < parents; p++) Apply(new CreateTxn($"/app{p:d4}", null, Acl.OpenAclUnsafe, 0, p + 1));
        for (int i = 0; tree.NodeCount < Nodes; i++)
            Apply(new CreateTxn($"/app{i % parents:d4}/node-{i:d7}", data, Acl.OpenAclUnsafe, i % 10 == 0 ? 0x99 : 0, i / parents + 1));
        _image = tree.Capture();
        _bytes = SnapshotFormat.ToBytes(_image);
    }

    [Benchmark]
    public void Write() => SnapshotFormat.Write(_image!, Stream.Null);

    [Benchmark]
    public long ReadTree() => SnapshotFormat.ReadTree(_bytes).NodeCount;

    [Benchmark]
    public uint Crc32COfTheFile() => Crc32C.Compute(_bytes);
}

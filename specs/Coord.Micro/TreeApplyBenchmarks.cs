using BenchmarkDotNet.Attributes;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Micro;

/// <summary>
/// <see cref="DataTree.Apply"/> of single txns on a tree of 10,000 nodes (100 parents × 100 children).
/// Create and delete run as a pair so the tree stays the same size across iterations.
/// </summary>
[MemoryDiagnoser]
public class TreeApplyBenchmarks
{
    private readonly byte[] _data = new byte[32];
    private DataTree _tree = new();
    private long _zxid;
    private int _cversion;
    private int _hotVersion;

    [GlobalSetup]
    public void Setup()
    {
        _tree = new DataTree();
        _zxid = 0;
        for (int p = 0; p < 100; p++) Apply(new CreateTxn($"/p{p:d3}", null, Acl.OpenAclUnsafe, 0, p + 1));
        for (int i = 0; i < 10_000; i++) Apply(new CreateTxn($"/p{i % 100:d3}/n{i:d5}", _data, Acl.OpenAclUnsafe, 0, i / 100 + 1));
        Apply(new CreateTxn("/hot", _data, Acl.OpenAclUnsafe, 0, 101));
        _cversion = 0;
        _hotVersion = 0;
    }

    private ApplyResult Apply(Txn body) => _tree.Apply(new SequencedTxn(new TxnHeader(1, 1, ++_zxid, _zxid), body));

    [Benchmark]
    public ApplyResult SetData() => Apply(new SetDataTxn("/hot", _data, ++_hotVersion));

    [Benchmark(OperationsPerInvoke = 2)]
    public ApplyResult CreateThenDelete()
    {
        Apply(new CreateTxn("/p042/fresh", _data, Acl.OpenAclUnsafe, 0, ++_cversion + 100));
        return Apply(new DeleteTxn("/p042/fresh"));
    }
}

using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Specs.Snapshots;

/// <summary>An image is the state at capture, whatever the tree applies afterwards (copy-on-write nodes).</summary>
public sealed class CaptureSpecs
{
    [Fact]
    public void Image_is_unchanged_by_later_sets_acls_creates_and_deletes()
    {
        var h = new History(seed: 11);
        h.Run(300);
        var image = h.Tree.Capture();
        var before = SnapshotFormat.ToBytes(image);
        ulong digest = h.Tree.Digest();

        h.Run(300);
        Assert.NotEqual(digest, h.Tree.Digest());
        Assert.Equal(before, SnapshotFormat.ToBytes(image));
        Assert.Equal(digest, DataTree.Restore(image).Digest());
    }

    [Fact]
    public void Every_kind_of_change_leaves_the_captured_node_alone()
    {
        var t = new DataTree();
        long z = 0;
        void Apply(Txn body) => t.Apply(new SequencedTxn(new TxnHeader(1, 1, ++z, z * 100), body));
        Apply(new CreateTxn("/p", [1], Acl.OpenAclUnsafe, 0, 1));
        var image = t.Capture();
        var frozen = SnapshotFormat.ToBytes(image);

        Apply(new SetDataTxn("/p", [2, 2], 1));
        Apply(new SetAclTxn("/p", Acl.ReadAclUnsafe, 1));
        Apply(new CreateTxn("/p/c", null, Acl.OpenAclUnsafe, 0, 1)); // parent: stored cversion, pzxid
        Apply(new DeleteTxn("/p/c")); // parent: pzxid

        Assert.Equal(frozen, SnapshotFormat.ToBytes(image));
        var p = t.Get("/p")!;
        Assert.Equal(new Stat(1, 2, 100, 200, 1, 2, 1, 0, 2, 0, 5), p.Stat);
    }

    [Fact]
    public async Task Image_serialises_on_another_thread_while_the_tree_applies()
    {
        var h = new History(seed: 5);
        h.Run(2_000);
        var image = h.Tree.Capture();
        var expected = SnapshotFormat.ToBytes(image);

        var serialising = Task.Run(() => Enumerable.Range(0, 20).Select(_ => SnapshotFormat.ToBytes(image)).ToList());
        while (!serialising.IsCompleted) h.Run(50);
        foreach (var bytes in await serialising) Assert.Equal(expected, bytes);
        Assert.Equal(image.LastZxid, SnapshotFormat.Read(expected).LastZxid);
    }
}

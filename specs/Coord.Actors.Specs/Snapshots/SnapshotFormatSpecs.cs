using System.Buffers.Binary;
using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Client.Protocol;
using FsCheck;
using FsCheck.Fluent;

namespace Coord.Actors.Specs.Snapshots;

public sealed class SnapshotFormatSpecs
{
    private static DataTree Tiny()
    {
        var t = new DataTree();
        t.Apply(new SequencedTxn(new TxnHeader(0x51, 0, 1, 1_000), new CreateSessionTxn(0x51, 4_000, [9, 9])));
        t.Apply(new SequencedTxn(new TxnHeader(0x51, 1, 2, 2_000), new CreateTxn("/e", null, Acl.ReadAclUnsafe, 0x51, 1)));
        return t;
    }

    /// <summary>Frozen bytes of format version 1: any change to them is a format change and needs a new version.</summary>
    [Fact]
    public void Golden_bytes_of_a_tiny_snapshot()
    {
        string Hex(string s) => s.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
        const string openAcl = "00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65"; // [ALL world:anyone]
        const string readAcl = "00000001 00000001 00000005 776f726c64 00000006 616e796f6e65"; // [READ world:anyone]
        const string zeroStat = "0000000000000000 0000000000000000 0000000000000000 0000000000000000 00000000 00000000 00000000 0000000000000000 0000000000000000";
        string expected = Hex(
            "434f4f5244534e50 00000001 0000000000000002 00000005 00000001" + // COORDSNP v1 zxid=2 nodes=5 sessions=1
            // "/" data=[] ; stored cversion 1 after the create of /e, pzxid 2
            "00000001 2f 00000000" + openAcl +
            "0000000000000000 0000000000000000 0000000000000000 0000000000000000 00000000 00000001 00000000 0000000000000000 0000000000000002" +
            // "/e" data=null, ephemeral of 0x51, created at zxid 2, t=2000
            "00000002 2f65 ffffffff" + readAcl +
            "0000000000000002 0000000000000002 00000000000007d0 00000000000007d0 00000000 00000000 00000000 0000000000000051 0000000000000002" +
            "0000000a 2f7a6f6f6b6565706572 00000000" + openAcl + zeroStat +
            "00000011 2f7a6f6f6b65657065722f636f6e666967 00000000" + readAcl + zeroStat +
            "00000010 2f7a6f6f6b65657065722f71756f7461 00000000" + openAcl + zeroStat +
            "0000000000000051 00000fa0 00000002 0909"); // session 0x51, 4000 ms, password 0909
        var bytes = SnapshotFormat.ToBytes(Tiny().Capture());
        string body = Convert.ToHexStringLower(bytes.AsSpan(0, bytes.Length - 4));
        Assert.Equal(expected, body);
        Assert.Equal(Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)), BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(bytes.Length - 4)));
    }

    [Fact]
    public void Round_trip_of_random_trees_keeps_the_digest_and_every_derived_index()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), Arb.From(Gen.Choose(0, 400)), (seed, ops) =>
        {
            var h = new History(seed);
            h.Run(ops);
            var back = SnapshotFormat.ReadTree(SnapshotFormat.ToBytes(h.Tree.Capture()));
            AssertSameState(h.Tree, back);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    internal static void AssertSameState(DataTree expected, DataTree actual)
    {
        Assert.Equal(expected.Digest(), actual.Digest());
        Assert.Equal(expected.LastAppliedZxid, actual.LastAppliedZxid);
        Assert.Equal(expected.NodeCount, actual.NodeCount);
        Assert.Equal(expected.ApproximateDataSize, actual.ApproximateDataSize);
        Assert.Equal(expected.EphemeralCount, actual.EphemeralCount);
        Assert.Equal(expected.Sessions.Keys.Order(), actual.Sessions.Keys.Order());
        foreach (var id in expected.Sessions.Keys)
            Assert.Equal(expected.EphemeralsOf(id).Order(StringComparer.Ordinal), actual.EphemeralsOf(id).Order(StringComparer.Ordinal));
        // Children and the client-visible Stat (cversion, numChildren) of every node.
        var stack = new Stack<string>(["/"]);
        while (stack.Count > 0)
        {
            string path = stack.Pop();
            var e = expected.Get(path)!;
            var a = actual.Get(path) ?? throw new InvalidOperationException($"{path} missing after restore");
            Assert.Equal(e.Stat, a.Stat);
            Assert.Equal(e.Data, a.Data);
            Assert.Equal(e.Children, a.Children);
            foreach (var c in e.Children) stack.Push(path == "/" ? "/" + c : path + "/" + c);
        }
    }

    [Fact]
    public void Null_and_empty_data_stay_distinct()
    {
        var t = new DataTree();
        t.Apply(new SequencedTxn(new TxnHeader(1, 1, 1, 0), new CreateTxn("/null", null, Acl.OpenAclUnsafe, 0, 1)));
        t.Apply(new SequencedTxn(new TxnHeader(1, 1, 2, 0), new CreateTxn("/empty", [], Acl.OpenAclUnsafe, 0, 2)));
        var back = SnapshotFormat.ReadTree(SnapshotFormat.ToBytes(t.Capture()));
        Assert.Null(back.Get("/null")!.Data);
        Assert.Equal([], back.Get("/empty")!.Data!);
    }

    [Fact]
    public void Equal_states_give_equal_bytes_whatever_the_insertion_order()
    {
        var a = new DataTree();
        a.Apply(new SequencedTxn(new TxnHeader(1, 1, 1, 0), new CreateTxn("/x", null, Acl.OpenAclUnsafe, 0, 1)));
        a.Apply(new SequencedTxn(new TxnHeader(1, 1, 2, 0), new CreateTxn("/y", null, Acl.OpenAclUnsafe, 0, 2)));
        // Restored from a file, b's dictionary holds the nodes in path order, a's in creation order.
        var b = SnapshotFormat.ReadTree(SnapshotFormat.ToBytes(a.Capture()));
        Assert.Equal(SnapshotFormat.ToBytes(a.Capture()), SnapshotFormat.ToBytes(b.Capture()));
    }

    [Fact]
    public void Every_truncation_is_reported_as_corrupt()
    {
        var bytes = SnapshotFormat.ToBytes(Tiny().Capture());
        for (int len = 0; len < bytes.Length; len++)
            Assert.Throws<SnapshotCorruptException>(() => SnapshotFormat.ReadTree(bytes.AsSpan(0, len)));
    }

    [Fact]
    public void Every_flipped_bit_is_reported_as_corrupt()
    {
        var bytes = SnapshotFormat.ToBytes(Tiny().Capture());
        for (int i = 0; i < bytes.Length; i++)
            for (int bit = 0; bit < 8; bit++)
            {
                var bad = (byte[])bytes.Clone();
                bad[i] ^= (byte)(1 << bit);
                Assert.Throws<SnapshotCorruptException>(() => SnapshotFormat.ReadTree(bad));
            }
    }

    /// <summary>Input whose checksum is right but whose contents are wrong (a bug, not a disk error) is corrupt too.</summary>
    [Fact]
    public void Garbage_with_a_valid_checksum_is_reported_as_corrupt()
    {
        var good = SnapshotFormat.ToBytes(Tiny().Capture());
        var rng = new Random(7);
        for (int i = 0; i < 3_000; i++)
        {
            var bad = (byte[])good.Clone();
            int edits = 1 + rng.Next(4);
            for (int e = 0; e < edits; e++)
                bad[SnapshotFormat.HeaderBytes - 8 + rng.Next(bad.Length - SnapshotFormat.HeaderBytes + 4)] = (byte)rng.Next(256);
            if (i % 3 == 0) bad = bad[..^(5 + rng.Next(20))].Concat(new byte[4]).ToArray();
            BinaryPrimitives.WriteUInt32BigEndian(bad.AsSpan(bad.Length - 4), Crc32C.Compute(bad.AsSpan(0, bad.Length - 4)));
            try { SnapshotFormat.ReadTree(bad); }
            catch (SnapshotCorruptException) { }
        }
    }

    [Theory]
    [InlineData("/a/b")] // parent missing
    [InlineData("a")] // not absolute
    [InlineData("/zookeeper")] // duplicate
    public void Contents_that_cannot_form_a_tree_are_corrupt(string extraPath)
    {
        // Rewrite the tiny snapshot's "/e" entry path to something that cannot be, with a correct checksum.
        var good = SnapshotFormat.ToBytes(Tiny().Capture());
        string hex = Convert.ToHexStringLower(good.AsSpan(0, good.Length - 4));
        string replacement = Convert.ToHexStringLower(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(extraPath.Length)))
            + Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(extraPath));
        var body = Convert.FromHexString(hex.Replace("000000022f65", replacement, StringComparison.Ordinal));
        var bad = body.Concat(new byte[4]).ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(bad.AsSpan(bad.Length - 4), Crc32C.Compute(body));
        var e = Assert.Throws<SnapshotCorruptException>(() => SnapshotFormat.ReadTree(bad));
        Assert.Contains(extraPath, e.Message, StringComparison.Ordinal);
    }
}

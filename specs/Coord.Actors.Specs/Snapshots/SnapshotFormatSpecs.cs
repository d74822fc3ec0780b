using System.Buffers.Binary;
using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
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

    private static string Hex(string s) => s.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);

    private const string OpenAcl = "00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65"; // [ALL world:anyone]
    private const string ReadAcl = "00000001 00000001 00000005 776f726c64 00000006 616e796f6e65"; // [READ world:anyone]
    private const string ZeroStat = "0000000000000000 0000000000000000 0000000000000000 0000000000000000 00000000 00000000 00000000 0000000000000000 0000000000000000";
    private const string RootStat = "0000000000000000 0000000000000000 0000000000000000 0000000000000000 00000000 00000001 00000000 0000000000000000 0000000000000002";
    private const string EStat = "0000000000000002 0000000000000002 00000000000007d0 00000000000007d0 00000000 00000000 00000000 0000000000000051 0000000000000002";

    /// <summary>
    /// Format version 1 bytes of <see cref="Tiny"/>, as builds before format 2 wrote them (nodes in path
    /// order, ACL inline). Frozen: users' data folders hold such files, and this server must read them.
    /// </summary>
    private static readonly string TinyVersion1 = Hex(
        "434f4f5244534e50 00000001 0000000000000002 00000005 00000001" + // COORDSNP v1 zxid=2 nodes=5 sessions=1
        "00000001 2f 00000000" + OpenAcl + RootStat + // "/" data=[] ; stored cversion 1 after the create of /e, pzxid 2
        "00000002 2f65 ffffffff" + ReadAcl + EStat + // "/e" data=null, ephemeral of 0x51, created at zxid 2, t=2000
        "0000000a 2f7a6f6f6b6565706572 00000000" + OpenAcl + ZeroStat +
        "00000011 2f7a6f6f6b65657065722f636f6e666967 00000000" + ReadAcl + ZeroStat +
        "00000010 2f7a6f6f6b65657065722f71756f7461 00000000" + OpenAcl + ZeroStat +
        "0000000000000051 00000fa0 00000002 0909"); // session 0x51, 4000 ms, password 0909

    private static byte[] WithTrailer(string bodyHex)
    {
        var body = Convert.FromHexString(bodyHex);
        var bytes = body.Concat(new byte[4]).ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(bytes.Length - 4), Crc32C.Compute(body));
        return bytes;
    }

    /// <summary>Frozen bytes of format version 2: any change to them is a format change and needs a new version.</summary>
    [Fact]
    public void Golden_bytes_of_a_tiny_snapshot()
    {
        string expected = Hex(
            "434f4f5244534e50 00000002 0000000000000002 00000005 00000001" + // COORDSNP v2 zxid=2 nodes=5 sessions=1
            "00000002" + OpenAcl + ReadAcl + // ACL table, in order of first use: 0 = open, 1 = read
            // Creation order: the four nodes at czxid 0 by path, then "/e" (czxid 2).
            "00000001 2f 00000000 00000000" + RootStat +
            "0000000a 2f7a6f6f6b6565706572 00000000 00000000" + ZeroStat +
            "00000011 2f7a6f6f6b65657065722f636f6e666967 00000000 00000001" + ZeroStat +
            "00000010 2f7a6f6f6b65657065722f71756f7461 00000000 00000000" + ZeroStat +
            "00000002 2f65 ffffffff 00000001" + EStat +
            "0000000000000051 00000fa0 00000002 0909"); // session 0x51, 4000 ms, password 0909
        var bytes = SnapshotFormat.ToBytes(Tiny().Capture());
        string body = Convert.ToHexStringLower(bytes.AsSpan(0, bytes.Length - 4));
        Assert.Equal(expected, body);
        Assert.Equal(Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)), BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(bytes.Length - 4)));
        Assert.Equal(2, SnapshotFormat.ReadFormatVersion(bytes));
    }

    [Fact]
    public void A_version_1_snapshot_from_an_older_build_still_loads()
    {
        var v1 = WithTrailer(TinyVersion1);
        Assert.Equal(1, SnapshotFormat.ReadFormatVersion(v1));
        Assert.Equal(2, SnapshotFormat.ReadLastZxid(v1));
        var back = SnapshotFormat.ReadTree(v1);
        AssertSameState(Tiny(), back);
        Assert.Equal(Acl.ReadAclUnsafe, back.Get("/e")!.Acl);
        // Written again, it comes out in the current format with the same contents.
        Assert.Equal(SnapshotFormat.ToBytes(Tiny().Capture()), SnapshotFormat.ToBytes(back.Capture()));
    }

    [Fact]
    public void Every_flipped_bit_of_a_version_1_snapshot_is_reported_as_corrupt()
    {
        var bytes = WithTrailer(TinyVersion1);
        for (int i = 0; i < bytes.Length; i++)
            for (int bit = 0; bit < 8; bit++)
            {
                var bad = (byte[])bytes.Clone();
                bad[i] ^= (byte)(1 << bit);
                Assert.Throws<SnapshotCorruptException>(() => SnapshotFormat.ReadTree(bad));
            }
    }

    [Fact]
    public void An_unknown_format_version_is_refused_with_what_to_do()
    {
        var bytes = SnapshotFormat.ToBytes(Tiny().Capture());
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 3);
        var e = Assert.Throws<SnapshotCorruptException>(() => SnapshotFormat.ReadTree(bytes));
        Assert.Contains("format version 3 is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_acl_index_past_the_table_is_corrupt()
    {
        // "/e" refers to ACL list 1; make it 2 (the table has 2 entries) and fix the checksum.
        var good = SnapshotFormat.ToBytes(Tiny().Capture());
        string hex = Convert.ToHexStringLower(good.AsSpan(0, good.Length - 4));
        var bad = WithTrailer(hex.Replace("000000022f65ffffffff00000001", "000000022f65ffffffff00000002", StringComparison.Ordinal));
        var e = Assert.Throws<SnapshotCorruptException>(() => SnapshotFormat.ReadTree(bad));
        Assert.Contains("ACL list 2 of 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Many_distinct_acls_round_trip_and_share_one_entry_per_distinct_list()
    {
        var t = new DataTree();
        long z = 0;
        for (int i = 0; i < 50; i++)
        {
            IReadOnlyList<Acl> acl = [new(Perms.Read | Perms.Write, new Id("digest", $"user{i % 7}:hash"))];
            t.Apply(new SequencedTxn(new TxnHeader(1, 1, ++z, 0), new CreateTxn($"/n{i:d2}", null, acl, 0, i + 1)));
        }
        var bytes = SnapshotFormat.ToBytes(t.Capture());
        Assert.Equal(9, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(SnapshotFormat.HeaderBytes))); // open, read (/zookeeper/config), 7 users
        var back = SnapshotFormat.ReadTree(bytes);
        AssertSameState(t, back);
        for (int i = 0; i < 50; i++) Assert.Equal($"user{i % 7}:hash", back.Get($"/n{i:d2}")!.Acl[0].Id.Ident);
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

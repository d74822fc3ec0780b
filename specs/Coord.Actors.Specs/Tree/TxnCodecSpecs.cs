using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Specs.Tree;

/// <summary>The journal stores these bytes: layouts and type ids are frozen here, field by field.</summary>
public sealed class TxnCodecSpecs
{
    private static readonly TxnHeader Header = new(0x42, 7, 0x1_0000_0001, 1000);
    private const string HeaderHex = "0000000000000042 00000007 0000000100000001 00000000000003E8";
    private const string PathA = "00000002 2F61";                                   // "/a"
    private const string WorldAnyone = "00000005 776F726C64 00000006 616E796F6E65"; // world, anyone
    private static readonly IReadOnlyList<Acl> Open = Acl.OpenAclUnsafe;
    private static readonly byte[] Hi = "hi"u8.ToArray();

    public static TheoryData<string, Txn, string> Goldens() => new()
    {
        { "create", new CreateTxn("/a", Hi, Open, 0, 1),
            "00000001" + PathA + "00000002 6869" + "00000001 0000001F" + WorldAnyone + "0000000000000000 00000001" },
        { "ephemeral create", new CreateTxn("/a", Hi, Open, 0x42, 1),
            "00000001" + PathA + "00000002 6869" + "00000001 0000001F" + WorldAnyone + "0000000000000042 00000001" },
        { "createContainer", new CreateTxn("/a", null, Open, EphemeralOwners.Container, 3),
            "00000013" + PathA + "FFFFFFFF" + "00000001 0000001F" + WorldAnyone + "8000000000000000 00000003" },
        { "createTTL", new CreateTxn("/a", [], Open, EphemeralOwners.ForTtl(1000), 1),
            "00000015" + PathA + "00000000" + "00000001 0000001F" + WorldAnyone + "FF000000000003E8 00000001" },
        { "delete", new DeleteTxn("/a"), "00000002" + PathA },
        { "setData", new SetDataTxn("/a", null, 1), "00000005" + PathA + "FFFFFFFF 00000001" },
        { "setACL", new SetAclTxn("/a", Acl.ReadAclUnsafe, 2), "00000007" + PathA + "00000001 00000001" + WorldAnyone + "00000002" },
        { "check", new CheckVersionTxn("/a", 3), "0000000D" + PathA + "00000003" },
        { "error", new ErrorTxn(ErrorCode.NodeExists), "FFFFFFFF FFFFFF92" },
        { "multi", new MultiTxn([new DeleteTxn("/a"), new ErrorTxn(ErrorCode.NoNode)]),
            "0000000E 00000002" + "00000002 00000006" + PathA + "FFFFFFFF 00000004 FFFFFF9B" },
        { "createSession", new CreateSessionTxn(0x42, 30000, Enumerable.Range(0, 16).Select(i => (byte)i).ToArray()),
            "FFFFFFF6 0000000000000042 00007530 00000010 000102030405060708090A0B0C0D0E0F" },
        { "closeSession", new CloseSessionTxn(0x42, ["/e"]), "FFFFFFF5 0000000000000042 00000001 00000002 2F65" },
    };

    [Theory, MemberData(nameof(Goldens))]
    public void Encodes_each_txn_type_to_frozen_bytes(string name, Txn body, string bodyHex)
    {
        var bytes = TxnCodec.ToBytes(new SequencedTxn(Header, body));
        Assert.True(Hex(HeaderHex + bodyHex) == Convert.ToHexString(bytes), name);
    }

    [Theory, MemberData(nameof(Goldens))]
    public void Round_trips_each_txn_type(string name, Txn body, string bodyHex)
    {
        _ = bodyHex;
        var original = new SequencedTxn(Header, body);
        var bytes = TxnCodec.ToBytes(original);
        var back = TxnCodec.Read(bytes);
        Assert.Equal(Header, back.Header);
        Assert.Equal(body.Type, back.Body.Type);
        Assert.True(original.ToString() == back.ToString(), name);
        Assert.Equal(bytes, TxnCodec.ToBytes(back));
    }

    [Fact]
    public void Preserves_null_versus_empty_data()
    {
        var nul = (CreateTxn)TxnCodec.Read(TxnCodec.ToBytes(new SequencedTxn(Header, new CreateTxn("/a", null, Open, 0, 1)))).Body;
        var empty = (CreateTxn)TxnCodec.Read(TxnCodec.ToBytes(new SequencedTxn(Header, new CreateTxn("/a", [], Open, 0, 1)))).Body;
        Assert.Null(nul.Data);
        Assert.Equal([], empty.Data!);
    }

    [Fact]
    public void Type_ids_are_zookeepers_numbers()
    {
        var expected = new Dictionary<TxnType, int>
        {
            [TxnType.Create] = 1, [TxnType.Delete] = 2, [TxnType.SetData] = 5, [TxnType.SetAcl] = 7, [TxnType.Check] = 13,
            [TxnType.Multi] = 14, [TxnType.CreateContainer] = 19, [TxnType.DeleteContainer] = 20, [TxnType.CreateTtl] = 21,
            [TxnType.CreateSession] = -10, [TxnType.CloseSession] = -11, [TxnType.Error] = -1,
        };
        foreach (var (type, id) in expected) Assert.Equal(id, (int)type);
        Assert.Equal(expected.Count, Enum.GetValues<TxnType>().Length);
    }

    [Theory]
    [InlineData("torn tail", HeaderHex + "00000002 00000002 2F")]
    [InlineData("trailing bytes", HeaderHex + "00000002 00000002 2F61 00")]
    [InlineData("unknown type", HeaderHex + "00000063")]
    [InlineData("container type with a plain owner", HeaderHex + "00000013" + PathA + "FFFFFFFF 00000000 0000000000000000 00000001")]
    [InlineData("nested multi", HeaderHex + "0000000E 00000001 0000000E 00000004 00000000")]
    public void Rejects_malformed_input(string name, string hex)
    {
        Assert.Throws<JuteException>(() => TxnCodec.Read(Convert.FromHexString(Hex(hex))));
        _ = name;
    }

    private static string Hex(string spaced) => spaced.Replace(" ", "");
}

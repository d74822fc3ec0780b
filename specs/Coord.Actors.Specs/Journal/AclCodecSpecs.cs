using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Specs.Journal;

/// <summary>
/// Journal rows and snapshots store ACL lists through <see cref="AclCodec"/>: these bytes are on users' disks,
/// so they are frozen here independently of the wire records in Coord.Protocol.
/// </summary>
public sealed class AclCodecSpecs
{
    private static readonly IReadOnlyList<Acl> Mixed =
    [
        new(Perms.Read | Perms.Write, new Id("digest", "alice:x")),
        new(Perms.All, Id.Anyone),
        new(Perms.Admin, new Id("ip", "10.0.0.1")),
    ];

    private const string MixedHex =
        "00000003"
        + "00000003" + "00000006 646967657374" + "00000007 616C6963653A78"       // rw   digest:alice:x
        + "0000001F" + "00000005 776F726C64" + "00000006 616E796F6E65"            // all  world:anyone
        + "00000010" + "00000002 6970" + "00000008 31302E302E302E31";             // admin ip:10.0.0.1

    private static string Hex(string spaced) => spaced.Replace(" ", "", StringComparison.Ordinal);

    private static byte[] Write(IReadOnlyList<Acl>? acl)
    {
        var w = new JuteWriter();
        AclCodec.WriteList(w, acl);
        return w.ToArray();
    }

    private static List<Acl>? Read(string hex)
    {
        var r = new JuteReader(Convert.FromHexString(Hex(hex)));
        var list = AclCodec.ReadList(ref r);
        Assert.True(r.AtEnd, "bytes left after the list");
        return list;
    }

    [Fact]
    public void A_list_encodes_to_frozen_bytes_and_reads_back_equal()
    {
        Assert.Equal(Hex(MixedHex), Convert.ToHexString(Write(Mixed)));
        Assert.Equal(Mixed, Read(MixedHex));
    }

    [Fact]
    public void Null_and_empty_lists_stay_apart()
    {
        Assert.Equal("FFFFFFFF", Convert.ToHexString(Write(null)));
        Assert.Equal("00000000", Convert.ToHexString(Write([])));
        Assert.Null(Read("FFFFFFFF"));
        Assert.Empty(Read("00000000")!);
    }

    [Fact]
    public void A_null_scheme_or_id_reads_as_empty_as_stores_written_before_have_it()
    {
        var acl = Assert.Single(Read("00000001 0000001F FFFFFFFF FFFFFFFF")!);
        Assert.Equal(new Acl(Perms.All, new Id("", "")), acl);
    }

    [Theory]
    [InlineData("count larger than the bytes", "00000100 0000001F")]
    [InlineData("negative count", "FFFFFFFE")]
    [InlineData("torn entry", "00000001 0000001F 00000005 776F72")]
    public void Malformed_lists_throw_a_JuteException(string name, string hex)
    {
        _ = name;
        Assert.Throws<JuteException>(() => Read(hex));
    }
}

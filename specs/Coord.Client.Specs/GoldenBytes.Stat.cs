using Coord.Protocol;

namespace Coord.Client.Specs;

/// <summary>A Stat whose every field is distinct, so a swapped field shows up in the hex.</summary>
internal static class GoldenStat
{
    public static readonly Stat Value = new(
        Czxid: 0x0000000100000001, Mzxid: 0x0000000100000002, Ctime: 0x0000018C0A0B0C0D, Mtime: 0x0000018C0A0B0C0E,
        Version: 3, Cversion: -1, Aversion: 5, EphemeralOwner: 0x0123456789ABCDEF, DataLength: 7, NumChildren: 2,
        Pzxid: 0x0000000100000009);

    // czxid | mzxid | ctime | mtime | version | cversion | aversion | ephemeralOwner | dataLength | numChildren | pzxid
    public const string Hex =
        "0000000100000001 | 0000000100000002 | 0000018C0A0B0C0D | 0000018C0A0B0C0E | 00000003 | FFFFFFFF | 00000005 | " +
        "0123456789ABCDEF | 00000007 | 00000002 | 0000000100000009";
}

public sealed class GoldenBytesStat
{
    [Fact]
    public void stat_is_68_bytes_with_pzxid_last()
    {
        Assert.Equal(68, Wire.Hex(GoldenStat.Hex).Length);
        Assert.Equal(Stat.WireBytes, Wire.Bytes(GoldenStat.Value).Length);
        Wire.Golden(GoldenStat.Value, GoldenStat.Hex);
        Assert.Equal("0000000100000009", Wire.HexOf(GoldenStat.Value)[^16..]);
    }

    [Fact]
    public void zero_stat_is_68_zero_bytes() => Wire.Golden(default(Stat), "00×68");
}

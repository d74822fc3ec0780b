using System.Net;
using System.Net.Sockets;

namespace Coord.Actors.Tree;

/// <summary>ZooKeeper's IPAuthenticationProvider: ACL ids "addr" or "addr/bits", IPv4 or IPv6, prefix match.</summary>
public static class IpAddressMatch
{
    public static bool IsValid(string aclExpr) => TryParseExpr(aclExpr, out _, out _);

    /// <summary>True when <paramref name="address"/> (the client's ip id) falls in <paramref name="aclExpr"/>.</summary>
    public static bool Matches(string address, string aclExpr)
    {
        if (!TryParseExpr(aclExpr, out var acl, out int bits)) return false;
        var remote = Parse(address);
        if (remote is null || remote.Length != acl.Length) return false;
        Mask(acl, bits);
        Mask(remote, bits);
        return acl.AsSpan().SequenceEqual(remote);
    }

    private static bool TryParseExpr(string expr, out byte[] addr, out int bits)
    {
        int slash = expr.IndexOf('/');
        addr = Parse(slash < 0 ? expr : expr[..slash]) ?? [];
        bits = addr.Length * 8;
        if (addr.Length == 0) return false;
        if (slash < 0) return true;
        return int.TryParse(expr.AsSpan(slash + 1), System.Globalization.NumberStyles.AllowLeadingSign,
                   System.Globalization.CultureInfo.InvariantCulture, out bits)
               && bits >= 0 && bits <= addr.Length * 8;
    }

    /// <summary>Dotted-quad IPv4 (exactly four 0..255 parts, as ZooKeeper's v4addr2Bytes) or IPv6.</summary>
    private static byte[]? Parse(string s)
    {
        if (s.Contains(':'))
            return IPAddress.TryParse(s, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 ? v6.GetAddressBytes() : null;
        var parts = s.Split('.');
        if (parts.Length != 4) return null;
        var bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            if (parts[i].Length == 0 || !parts[i].All(char.IsAsciiDigit) || !int.TryParse(parts[i], out int v) || v > 255) return null;
            bytes[i] = (byte)v;
        }
        return bytes;
    }

    private static void Mask(byte[] b, int bits)
    {
        int start = bits / 8;
        int rem = bits % 8;
        if (rem != 0) { b[start] &= (byte)(0xFF << (8 - rem)); start++; }
        for (int i = start; i < b.Length; i++) b[i] = 0;
    }
}

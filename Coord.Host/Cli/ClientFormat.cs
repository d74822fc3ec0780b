using System.Globalization;
using System.Text;
using Coord.Client;
using Coord.Protocol;

namespace Coord.Host.Cli;

/// <summary>zkCli's text formats: Stat lines, ACLs (<c>'world,'anyone</c> / <c>: cdrwa</c>), watch events and error messages.</summary>
internal static class ClientFormat
{
    /// <summary>The Stat as zkCli prints it, one <c>name = value</c> per line (times like Java's Date.toString, in UTC).</summary>
    public static void WriteStat(TextWriter output, Stat stat)
    {
        output.WriteLine($"cZxid = 0x{stat.Czxid:x}");
        output.WriteLine($"ctime = {Time(stat.Ctime)}");
        output.WriteLine($"mZxid = 0x{stat.Mzxid:x}");
        output.WriteLine($"mtime = {Time(stat.Mtime)}");
        output.WriteLine($"pZxid = 0x{stat.Pzxid:x}");
        output.WriteLine($"cversion = {stat.Cversion}");
        output.WriteLine($"dataVersion = {stat.Version}");
        output.WriteLine($"aclVersion = {stat.Aversion}");
        output.WriteLine($"ephemeralOwner = 0x{stat.EphemeralOwner:x}");
        output.WriteLine($"dataLength = {stat.DataLength}");
        output.WriteLine($"numChildren = {stat.NumChildren}");
    }

    private static string Time(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);

    /// <summary>zkCli's <c>[a, b]</c>, sorted.</summary>
    public static string Children(IEnumerable<string> children) =>
        "[" + string.Join(", ", children.Order(StringComparer.Ordinal)) + "]";

    public static string Event(WatchedEvent e) => $"WatchedEvent state:{e.State} type:{e.Type} path:{e.Path}";

    /// <summary>Permission letters in ZooKeeper's order (ZKUtil.getPermString): c d r w a.</summary>
    public static string Perms(Perms perms)
    {
        var sb = new StringBuilder();
        if (perms.HasFlag(Coord.Protocol.Perms.Create)) sb.Append('c');
        if (perms.HasFlag(Coord.Protocol.Perms.Delete)) sb.Append('d');
        if (perms.HasFlag(Coord.Protocol.Perms.Read)) sb.Append('r');
        if (perms.HasFlag(Coord.Protocol.Perms.Write)) sb.Append('w');
        if (perms.HasFlag(Coord.Protocol.Perms.Admin)) sb.Append('a');
        return sb.ToString();
    }

    public static void WriteAcl(TextWriter output, IEnumerable<Acl> acl)
    {
        foreach (var entry in acl)
        {
            output.WriteLine($"'{entry.Id.Scheme},'{entry.Id.Ident}");
            output.WriteLine($": {Perms(entry.Perms)}");
        }
    }

    /// <summary>Parses zkCli's ACL text: <c>scheme:id:perms[,scheme:id:perms...]</c> (the id may contain colons,
    /// e.g. <c>digest:user:hash:r</c>). Returns null and a reason when the text is malformed.</summary>
    public static IReadOnlyList<Acl>? ParseAcl(string text, out string? problem)
    {
        var acl = new List<Acl>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int first = part.IndexOf(':');
            int last = part.LastIndexOf(':');
            if (first < 0 || first == last)
            {
                problem = $"{part} does not have the form scheme:id:perm";
                return null;
            }
            var perms = Coord.Protocol.Perms.None;
            foreach (char c in part[(last + 1)..])
            {
                perms |= c switch
                {
                    'c' => Coord.Protocol.Perms.Create,
                    'd' => Coord.Protocol.Perms.Delete,
                    'r' => Coord.Protocol.Perms.Read,
                    'w' => Coord.Protocol.Perms.Write,
                    'a' => Coord.Protocol.Perms.Admin,
                    _ => (Perms)(-1),
                };
                if (perms < 0)
                {
                    problem = $"unknown permission '{c}' in {part} (expected letters of cdrwa)";
                    return null;
                }
            }
            acl.Add(new Acl(perms, new Id(part[..first], part[(first + 1)..last])));
        }
        problem = acl.Count == 0 ? "empty ACL" : null;
        return acl.Count == 0 ? null : acl;
    }

    /// <summary>zkCli's message for a failed operation on <paramref name="path"/>.</summary>
    public static string Error(CoordException e, string path)
    {
        string p = e.Path ?? path;
        return e switch
        {
            NoNodeException => $"Node does not exist: {p}",
            NodeExistsException => $"Node already exists: {p}",
            NotEmptyException => $"Node not empty: {p}",
            BadVersionException => $"version No is not valid : {p}",
            NoAuthException => $"Insufficient permission : {p}",
            InvalidAclException => $"Acl is not valid : {p}",
            NoChildrenForEphemeralsException => $"Ephemerals cannot have children: {p}",
            AuthFailedException => "Authentication failed",
            _ => e.Message,
        };
    }
}

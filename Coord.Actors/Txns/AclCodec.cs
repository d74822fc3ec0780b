using Coord.Protocol;

namespace Coord.Actors.Txns;

/// <summary>
/// The stored encoding of an ACL list, owned by the server: journal rows (<see cref="TxnCodec"/>) and
/// snapshots (<c>Journal/SnapshotFormat</c>) write ACLs through here, never through the wire records'
/// own <c>Write</c>/<c>Read</c>, so a change to the protocol assembly cannot change what is on disk.
/// Layout (jute, big-endian), frozen by golden-byte specs:
/// <code>
/// int count (-1 = null), then count × ( int perms  ustring scheme  ustring id )
/// </code>
/// These are the bytes ZooKeeper's <c>vector&lt;ACL&gt;</c> has, which journals and snapshots written before
/// this class existed hold. A null scheme or id (length -1) reads as empty, as it always has.
/// </summary>
public static class AclCodec
{
    /// <summary>The smallest encoded entry: perms, and two empty-or-null strings.</summary>
    public const int EntryBytesMin = 4 + 4 + 4;

    public static void WriteList(JuteWriter w, IReadOnlyList<Acl>? acl)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (acl is null)
        {
            w.WriteInt(-1);
            return;
        }
        w.WriteInt(acl.Count);
        for (int i = 0; i < acl.Count; i++)
        {
            var entry = acl[i];
            w.WriteInt((int)entry.Perms);
            w.WriteString(entry.Id.Scheme);
            w.WriteString(entry.Id.Ident);
        }
    }

    /// <summary>Reads a list; null when the stored count is -1. Malformed input throws <see cref="JuteException"/>.</summary>
    public static List<Acl>? ReadList(ref JuteReader r)
    {
        int count = r.ReadVectorCount(EntryBytesMin);
        if (count < 0) return null;
        var list = new List<Acl>(count);
        for (int i = 0; i < count; i++)
        {
            var perms = (Perms)r.ReadInt();
            string scheme = r.ReadString() ?? "";
            string ident = r.ReadString() ?? "";
            list.Add(new Acl(perms, new Id(scheme, ident)));
        }
        return list;
    }
}

namespace Coord.Protocol;

/// <summary>An identity: scheme (world, auth, digest, ip, super) and id.</summary>
public sealed record Id(string Scheme, string Ident) : IJuteRecord<Id>
{
    public static readonly Id Anyone = new("world", "anyone");
    public static readonly Id AuthIds = new("auth", "");

    // Null scheme or id (length -1) is legal on the wire; kazoo sends ("auth", None). Prep rejects what is invalid.
    public static Id Read(ref JuteReader r) => new(r.ReadString() ?? "", r.ReadString() ?? "");

    public void Write(JuteWriter w) { w.WriteString(Scheme); w.WriteString(Ident); }

    public override string ToString() => $"{Scheme}:{Ident}";
}

/// <summary>One ACL entry: permission bits for an identity.</summary>
public sealed record Acl(Perms Perms, Id Id) : IJuteRecord<Acl>
{
    public const int MinWireBytes = 12;

    public static readonly IReadOnlyList<Acl> OpenAclUnsafe = [new(Perms.All, Id.Anyone)];
    public static readonly IReadOnlyList<Acl> CreatorAllAcl = [new(Perms.All, Id.AuthIds)];
    public static readonly IReadOnlyList<Acl> ReadAclUnsafe = [new(Perms.Read, Id.Anyone)];

    public static Acl Read(ref JuteReader r) => new((Perms)r.ReadInt(), Id.Read(ref r));

    public void Write(JuteWriter w) { w.WriteInt((int)Perms); Id.Write(w); }

    public override string ToString() => $"{Id}:{(int)Perms}";
}

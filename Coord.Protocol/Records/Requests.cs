namespace Coord.Protocol.Records;

// Request records in wire field order (zookeeper.jute). Null strings are decoded as "" where the server
// would otherwise dereference them; path validation then rejects them.

/// <summary>Marker for request bodies that carry a target path.</summary>
public interface IPathRequest
{
    string Path { get; }
}

public sealed record CreateRequest(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, int Flags)
    : IJuteRecord<CreateRequest>, IPathRequest
{
    public static CreateRequest Read(ref JuteReader r) =>
        new(r.ReadString() ?? "", r.ReadBuffer(), r.ReadVector<Acl>(Protocol.Acl.MinWireBytes) ?? [], r.ReadInt());
    public void Write(JuteWriter w) { w.WriteString(Path); w.WriteBuffer(Data); w.WriteVector(Acl); w.WriteInt(Flags); }
}

public sealed record CreateTtlRequest(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, int Flags, long Ttl)
    : IJuteRecord<CreateTtlRequest>, IPathRequest
{
    public static CreateTtlRequest Read(ref JuteReader r) =>
        new(r.ReadString() ?? "", r.ReadBuffer(), r.ReadVector<Acl>(Protocol.Acl.MinWireBytes) ?? [], r.ReadInt(), r.ReadLong());
    public void Write(JuteWriter w)
    {
        w.WriteString(Path); w.WriteBuffer(Data); w.WriteVector(Acl); w.WriteInt(Flags); w.WriteLong(Ttl);
    }
}

public sealed record DeleteRequest(string Path, int Version) : IJuteRecord<DeleteRequest>, IPathRequest
{
    public static DeleteRequest Read(ref JuteReader r) => new(r.ReadString() ?? "", r.ReadInt());
    public void Write(JuteWriter w) { w.WriteString(Path); w.WriteInt(Version); }
}

/// <summary>Shared layout of exists, getData, getChildren and getChildren2 requests.</summary>
public sealed record PathWatchRequest(string Path, bool Watch) : IJuteRecord<PathWatchRequest>, IPathRequest
{
    public static PathWatchRequest Read(ref JuteReader r) => new(r.ReadString() ?? "", r.ReadBool());
    public void Write(JuteWriter w) { w.WriteString(Path); w.WriteBool(Watch); }
}

public sealed record SetDataRequest(string Path, byte[]? Data, int Version) : IJuteRecord<SetDataRequest>, IPathRequest
{
    public static SetDataRequest Read(ref JuteReader r) => new(r.ReadString() ?? "", r.ReadBuffer(), r.ReadInt());
    public void Write(JuteWriter w) { w.WriteString(Path); w.WriteBuffer(Data); w.WriteInt(Version); }
}

/// <summary>Shared layout of getACL, sync, getEphemerals, getAllChildrenNumber and deleteContainer requests.</summary>
public sealed record PathRequest(string Path) : IJuteRecord<PathRequest>, IPathRequest
{
    public static PathRequest Read(ref JuteReader r) => new(r.ReadString() ?? "");
    public void Write(JuteWriter w) => w.WriteString(Path);
}

public sealed record SetAclRequest(string Path, IReadOnlyList<Acl> Acl, int Version) : IJuteRecord<SetAclRequest>, IPathRequest
{
    public static SetAclRequest Read(ref JuteReader r) =>
        new(r.ReadString() ?? "", r.ReadVector<Acl>(Protocol.Acl.MinWireBytes) ?? [], r.ReadInt());
    public void Write(JuteWriter w) { w.WriteString(Path); w.WriteVector(Acl); w.WriteInt(Version); }
}

public sealed record CheckVersionRequest(string Path, int Version) : IJuteRecord<CheckVersionRequest>, IPathRequest
{
    public static CheckVersionRequest Read(ref JuteReader r) => new(r.ReadString() ?? "", r.ReadInt());
    public void Write(JuteWriter w) { w.WriteString(Path); w.WriteInt(Version); }
}

/// <summary>Shared layout of checkWatches and removeWatches requests.</summary>
public sealed record WatchesRequest(string Path, WatcherType Type) : IJuteRecord<WatchesRequest>, IPathRequest
{
    public static WatchesRequest Read(ref JuteReader r) => new(r.ReadString() ?? "", (WatcherType)r.ReadInt());
    public void Write(JuteWriter w) { w.WriteString(Path); w.WriteInt((int)Type); }
}

public sealed record AddWatchRequest(string Path, AddWatchMode Mode) : IJuteRecord<AddWatchRequest>, IPathRequest
{
    public static AddWatchRequest Read(ref JuteReader r) => new(r.ReadString() ?? "", (AddWatchMode)r.ReadInt());
    public void Write(JuteWriter w) { w.WriteString(Path); w.WriteInt((int)Mode); }
}

/// <summary>setWatches (101) and setWatches2 (105); the persistent lists exist only in the latter.</summary>
public sealed record SetWatchesRequest(
    long RelativeZxid,
    IReadOnlyList<string> DataWatches,
    IReadOnlyList<string> ExistWatches,
    IReadOnlyList<string> ChildWatches,
    IReadOnlyList<string> PersistentWatches,
    IReadOnlyList<string> PersistentRecursiveWatches,
    bool IsVersion2)
{
    public static SetWatchesRequest Read(ref JuteReader r, bool version2)
    {
        long rel = r.ReadLong();
        var data = r.ReadStringVector() ?? [];
        var exist = r.ReadStringVector() ?? [];
        var child = r.ReadStringVector() ?? [];
        if (!version2) return new(rel, data, exist, child, [], [], false);
        var pers = r.ReadStringVector() ?? [];
        var rec = r.ReadStringVector() ?? [];
        return new(rel, data, exist, child, pers, rec, true);
    }

    public void Write(JuteWriter w)
    {
        w.WriteLong(RelativeZxid);
        w.WriteStringVector(DataWatches); w.WriteStringVector(ExistWatches); w.WriteStringVector(ChildWatches);
        if (IsVersion2) { w.WriteStringVector(PersistentWatches); w.WriteStringVector(PersistentRecursiveWatches); }
    }
}

public sealed record ReconfigRequest(string? JoiningServers, string? LeavingServers, string? NewMembers, long CurConfigId)
    : IJuteRecord<ReconfigRequest>
{
    public static ReconfigRequest Read(ref JuteReader r) => new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadLong());
    public void Write(JuteWriter w)
    {
        w.WriteString(JoiningServers); w.WriteString(LeavingServers); w.WriteString(NewMembers); w.WriteLong(CurConfigId);
    }
}

/// <summary>GetSASLRequest and SetSASLResponse share this layout.</summary>
public sealed record SaslToken(byte[]? Token) : IJuteRecord<SaslToken>
{
    public static SaslToken Read(ref JuteReader r) => new(r.ReadBuffer());
    public void Write(JuteWriter w) => w.WriteBuffer(Token);
}

namespace Coord.Protocol.Records;

public sealed record CreateResponse(string Path) : IJuteRecord<CreateResponse>
{
    public static CreateResponse Read(ref JuteReader r) => new(r.ReadString() ?? "");
    public void Write(JuteWriter w) => w.WriteString(Path);
}

public sealed record Create2Response(string Path, Stat Stat) : IJuteRecord<Create2Response>
{
    public static Create2Response Read(ref JuteReader r) => new(r.ReadString() ?? "", Stat.Read(ref r));
    public void Write(JuteWriter w) { w.WriteString(Path); Stat.Write(w); }
}

/// <summary>Body of exists, setData and setACL replies.</summary>
public sealed record StatResponse(Stat Stat) : IJuteRecord<StatResponse>
{
    public static StatResponse Read(ref JuteReader r) => new(Stat.Read(ref r));
    public void Write(JuteWriter w) => Stat.Write(w);
}

public sealed record GetDataResponse(byte[]? Data, Stat Stat) : IJuteRecord<GetDataResponse>
{
    public static GetDataResponse Read(ref JuteReader r) => new(r.ReadBuffer(), Stat.Read(ref r));
    public void Write(JuteWriter w) { w.WriteBuffer(Data); Stat.Write(w); }
}

public sealed record GetAclResponse(IReadOnlyList<Acl> Acl, Stat Stat) : IJuteRecord<GetAclResponse>
{
    public static GetAclResponse Read(ref JuteReader r) => new(r.ReadVector<Acl>(Protocol.Acl.MinWireBytes) ?? [], Stat.Read(ref r));
    public void Write(JuteWriter w) { w.WriteVector(Acl); Stat.Write(w); }
}

public sealed record GetChildrenResponse(IReadOnlyList<string> Children) : IJuteRecord<GetChildrenResponse>
{
    public static GetChildrenResponse Read(ref JuteReader r) => new(r.ReadStringVector() ?? []);
    public void Write(JuteWriter w) => w.WriteStringVector(Children);
}

public sealed record GetChildren2Response(IReadOnlyList<string> Children, Stat Stat) : IJuteRecord<GetChildren2Response>
{
    public static GetChildren2Response Read(ref JuteReader r) => new(r.ReadStringVector() ?? [], Stat.Read(ref r));
    public void Write(JuteWriter w) { w.WriteStringVector(Children); Stat.Write(w); }
}

/// <summary>Body of sync replies (echoes the path).</summary>
public sealed record PathResponse(string Path) : IJuteRecord<PathResponse>
{
    public static PathResponse Read(ref JuteReader r) => new(r.ReadString() ?? "");
    public void Write(JuteWriter w) => w.WriteString(Path);
}

/// <summary>ErrorResponse: the addWatch body and multi error results.</summary>
public sealed record ErrorResponse(ErrorCode Err) : IJuteRecord<ErrorResponse>
{
    public static ErrorResponse Read(ref JuteReader r) => new((ErrorCode)r.ReadInt());
    public void Write(JuteWriter w) => w.WriteInt((int)Err);
}

public sealed record GetEphemeralsResponse(IReadOnlyList<string> Ephemerals) : IJuteRecord<GetEphemeralsResponse>
{
    public static GetEphemeralsResponse Read(ref JuteReader r) => new(r.ReadStringVector() ?? []);
    public void Write(JuteWriter w) => w.WriteStringVector(Ephemerals);
}

public sealed record GetAllChildrenNumberResponse(int TotalNumber) : IJuteRecord<GetAllChildrenNumberResponse>
{
    public static GetAllChildrenNumberResponse Read(ref JuteReader r) => new(r.ReadInt());
    public void Write(JuteWriter w) => w.WriteInt(TotalNumber);
}

public sealed record ClientInfo(string AuthScheme, string User) : IJuteRecord<ClientInfo>
{
    public static ClientInfo Read(ref JuteReader r) => new(r.ReadString() ?? "", r.ReadString() ?? "");
    public void Write(JuteWriter w) { w.WriteString(AuthScheme); w.WriteString(User); }
}

public sealed record WhoAmIResponse(IReadOnlyList<ClientInfo> ClientInfo) : IJuteRecord<WhoAmIResponse>
{
    public static WhoAmIResponse Read(ref JuteReader r) => new(r.ReadVector<ClientInfo>(8) ?? []);
    public void Write(JuteWriter w) => w.WriteVector(ClientInfo);
}

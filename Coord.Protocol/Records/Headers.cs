namespace Coord.Protocol.Records;

public readonly record struct RequestHeader(int Xid, OpCode Type) : IJuteRecord<RequestHeader>
{
    public const int WireBytes = 8;
    public static RequestHeader Read(ref JuteReader r) => new(r.ReadInt(), (OpCode)r.ReadInt());
    public void Write(JuteWriter w) { w.WriteInt(Xid); w.WriteInt((int)Type); }
}

public readonly record struct ReplyHeader(int Xid, long Zxid, ErrorCode Err) : IJuteRecord<ReplyHeader>
{
    public const int WireBytes = 16;
    public static ReplyHeader Read(ref JuteReader r) => new(r.ReadInt(), r.ReadLong(), (ErrorCode)r.ReadInt());
    public void Write(JuteWriter w) { w.WriteInt(Xid); w.WriteLong(Zxid); w.WriteInt((int)Err); }
}

/// <summary>
/// First packet of a connection. Clients before 3.4 omit the trailing readOnly byte; <see cref="HasReadOnlyField"/>
/// records whether it was present so the reply can mirror the client's format.
/// </summary>
public sealed record ConnectRequest(
    int ProtocolVersion, long LastZxidSeen, int TimeOut, long SessionId, byte[]? Passwd, bool ReadOnly,
    bool HasReadOnlyField = true) : IJuteRecord<ConnectRequest>
{
    public static ConnectRequest Read(ref JuteReader r)
    {
        int pv = r.ReadInt();
        long last = r.ReadLong();
        int to = r.ReadInt();
        long sid = r.ReadLong();
        byte[]? pw = r.ReadBuffer();
        if (r.AtEnd) return new(pv, last, to, sid, pw, false, HasReadOnlyField: false);
        return new(pv, last, to, sid, pw, r.ReadBool());
    }

    public void Write(JuteWriter w)
    {
        w.WriteInt(ProtocolVersion); w.WriteLong(LastZxidSeen); w.WriteInt(TimeOut); w.WriteLong(SessionId);
        w.WriteBuffer(Passwd);
        if (HasReadOnlyField) w.WriteBool(ReadOnly);
    }
}

public sealed record ConnectResponse(int ProtocolVersion, int TimeOut, long SessionId, byte[]? Passwd, bool ReadOnly,
    bool HasReadOnlyField = true) : IJuteRecord<ConnectResponse>
{
    public static ConnectResponse Read(ref JuteReader r)
    {
        int pv = r.ReadInt();
        int to = r.ReadInt();
        long sid = r.ReadLong();
        byte[]? pw = r.ReadBuffer();
        if (r.AtEnd) return new(pv, to, sid, pw, false, HasReadOnlyField: false);
        return new(pv, to, sid, pw, r.ReadBool());
    }

    public void Write(JuteWriter w)
    {
        w.WriteInt(ProtocolVersion); w.WriteInt(TimeOut); w.WriteLong(SessionId); w.WriteBuffer(Passwd);
        if (HasReadOnlyField) w.WriteBool(ReadOnly);
    }
}

/// <summary>Body of an xid -1 notification.</summary>
public sealed record WatcherEvent(EventType Type, KeeperState State, string Path) : IJuteRecord<WatcherEvent>
{
    public static WatcherEvent Read(ref JuteReader r) =>
        new((EventType)r.ReadInt(), (KeeperState)r.ReadInt(), r.ReadString() ?? "");
    public void Write(JuteWriter w) { w.WriteInt((int)Type); w.WriteInt((int)State); w.WriteString(Path); }
}

public sealed record AuthPacket(int Type, string Scheme, byte[]? Auth) : IJuteRecord<AuthPacket>
{
    public static AuthPacket Read(ref JuteReader r) => new(r.ReadInt(), r.ReadString() ?? "", r.ReadBuffer());
    public void Write(JuteWriter w) { w.WriteInt(Type); w.WriteString(Scheme); w.WriteBuffer(Auth); }
}

/// <summary>Precedes each op (and the terminator) in multi requests and responses.</summary>
public readonly record struct MultiHeader(int Type, bool Done, int Err) : IJuteRecord<MultiHeader>
{
    public static readonly MultiHeader Terminator = new(-1, true, -1);
    public static MultiHeader Read(ref JuteReader r) => new(r.ReadInt(), r.ReadBool(), r.ReadInt());
    public void Write(JuteWriter w) { w.WriteInt(Type); w.WriteBool(Done); w.WriteInt(Err); }
}

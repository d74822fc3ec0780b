using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Sessions;

/// <summary>Messages a session actor receives: from its connection (inbound) and from the sequencer (outbound).</summary>
public abstract record SessionMessage;

/// <summary>The session is (re)bound to a connection; the connect response goes out first.</summary>
public sealed record AttachConnection(IClientConnection Connection, ConnectResponse Response) : SessionMessage;

/// <summary>A decoded request read from a connection.</summary>
public sealed record Inbound(IClientConnection Connection, int Xid, OpCode Op, object? Record) : SessionMessage
{
    public override string ToString() => $"inbound xid={Xid} {Op} {(Record as IPathRequest)?.Path}";
}

/// <summary>
/// The answer to a request read from <see cref="Connection"/>; <see cref="Body"/> is a response record or
/// null. Dropped if the session has moved to another connection since (that client gave up on it).
/// <see cref="CloseAfter"/> closes the connection once the reply is out (closeSession, invalid requests).
/// </summary>
public sealed record Reply(IClientConnection Connection, int Xid, long Zxid, ErrorCode Err, IJuteWritable? Body, bool CloseAfter = false)
    : SessionMessage
{
    public override string ToString() => $"reply xid={Xid} zxid=0x{Zxid:x} {Err}";
}

/// <summary>A watch notification (xid -1). The header carries the zxid of the triggering txn.</summary>
public sealed record Notify(IClientConnection Connection, long Zxid, EventType Type, string Path) : SessionMessage
{
    public override string ToString() => $"event {Type} {Path} zxid=0x{Zxid:x}";
}

/// <summary>The connection went away (the session lives on until it expires).</summary>
public sealed record ConnectionLost(IClientConnection Connection) : SessionMessage;

/// <summary>The session closed or expired: close the connection after what is queued and stop.</summary>
public sealed record EndSession(string Reason) : SessionMessage;

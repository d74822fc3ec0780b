using Akka.Actor;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Sessions;

/// <summary>
/// Messages a session actor receives: from its connection (inbound) and from the applier (outbound). They
/// name connections by id (<see cref="IClientConnection.Id"/>); only the session actor holds the connection
/// itself, found through <see cref="IConnectionDirectory"/>.
/// </summary>
public abstract record SessionMessage;

/// <summary>The session is (re)bound to a connection; the connect response goes out first.</summary>
public sealed record AttachConnection(long ConnectionId, ConnectResponse Response) : SessionMessage;

/// <summary>A decoded request read from a connection.</summary>
public sealed record Inbound(long ConnectionId, int Xid, OpCode Op, object? Record) : SessionMessage
{
    public override string ToString() => $"inbound conn={ConnectionId} xid={Xid} {Op} {(Record as IPathRequest)?.Path}";
}

/// <summary>
/// The answer to a request read from connection <see cref="ConnectionId"/>; <see cref="Body"/> is a response
/// record or null. Dropped if the session has moved to another connection since (that client gave up on it).
/// <see cref="CloseAfter"/> closes the connection once the reply is out (closeSession, invalid requests).
/// </summary>
public sealed record Reply(long ConnectionId, int Xid, long Zxid, ErrorCode Err, IJuteWritable? Body, bool CloseAfter = false)
    : SessionMessage
{
    public override string ToString() => $"reply conn={ConnectionId} xid={Xid} zxid=0x{Zxid:x} {Err}";
}

/// <summary>A watch notification (xid -1). The header carries the zxid of the triggering txn.</summary>
public sealed record Notify(long ConnectionId, long Zxid, EventType Type, string Path) : SessionMessage
{
    public override string ToString() => $"event conn={ConnectionId} {Type} {Path} zxid=0x{Zxid:x}";
}

/// <summary>
/// The requests a connection decoded from one read, in order: one message for a pipelined burst instead of one
/// per request (the hand-off between actors is what a request costs most).
/// </summary>
public sealed record InboundBatch(IReadOnlyList<Inbound> Requests) : SessionMessage
{
    public override string ToString() => $"inbound {Requests.Count} requests";
}

/// <summary>
/// Everything the applier produced for one session while handling one message (replies, events, attach, end), in
/// the order produced. The session writes it all and flushes once: the per-turn batching of replies, made explicit.
/// </summary>
public sealed record SessionOutput(IReadOnlyList<SessionMessage> Items) : SessionMessage
{
    public override string ToString() => $"output {Items.Count} items";
}

/// <summary>The connection went away (the session lives on until it expires).</summary>
public sealed record ConnectionLost(long ConnectionId) : SessionMessage;

/// <summary>The session closed or expired: close the connection after what is queued and stop.</summary>
public sealed record EndSession(string Reason) : SessionMessage;

/// <summary>Sent by a session actor to itself after the first frame of a burst: everything queued before it goes out in one send.</summary>
internal sealed record FlushReplies : SessionMessage
{
    public static readonly FlushReplies Instance = new();
}

/// <summary>
/// A request of a live session, with the auth ids its connection held when it was read. Sent by the session
/// actor to the applier, which answers reads and forwards writes, this same message, to the sequencer.
/// </summary>
public sealed record ClientRequest(long SessionId, long ConnectionId, int Xid, OpCode Op, object? Record, IReadOnlyList<Id> AuthIds)
{
    public override string ToString() => $"request 0x{SessionId:x} conn={ConnectionId} xid={Xid} {Op} {(Record as IPathRequest)?.Path}";
}

/// <summary>Requests of one session from one connection read, in arrival order (see <see cref="InboundBatch"/>).</summary>
public sealed record ClientRequestBatch(IReadOnlyList<ClientRequest> Requests)
{
    public override string ToString() => $"{Requests.Count} requests";
}

/// <summary>A connection's auth ids changed (digest auth); notifications are filtered by them.</summary>
public sealed record AuthIdsChanged(long SessionId, long ConnectionId, IReadOnlyList<Id> AuthIds);

/// <summary>A connection's first packet: create a session or re-attach one.</summary>
public sealed record ConnectRequested(long ConnectionId, ConnectRequest Request)
{
    public override string ToString() => $"connect conn={ConnectionId} session=0x{Request.SessionId:x} timeout={Request.TimeOut}";
}

/// <summary>A connection closed; its watches go with it, the session lives until it expires.</summary>
public sealed record ConnectionClosed(long SessionId, long ConnectionId);

/// <summary>The session actor to send a connection's requests to, once the handshake is done.</summary>
public sealed record SessionBinding(long SessionId, IActorRef Actor);

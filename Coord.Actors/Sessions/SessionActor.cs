using System.Text;
using Akka.Actor;
using Coord.Actors.Tree;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Sessions;

/// <summary>
/// One live session on this member. Owns the binding to the session's current connection and the connection's
/// auth ids, forwards requests to the applier in arrival order, and writes the applier's replies and watch events
/// to the connection in the order it receives them — the order the applier produced them, so an event always
/// precedes any later reply that reflects its change. Frames are encoded here, off the applier's thread.
/// Batching: the first frame queued after a flush sends this actor a <see cref="FlushReplies"/>, which arrives
/// behind everything already in the mailbox, so a burst of replies leaves in one send.
/// Failure: an exception stops this actor (the applier's supervision logs it); <see cref="PostStop"/> closes the
/// connection, so the client sees its connection drop and can re-attach, while other sessions carry on.
/// </summary>
public sealed class SessionActor : ReceiveActor
{
    private readonly IActorRef _applier;
    private readonly IConnectionDirectory _connections;
    private readonly string? _superDigest;
    /// <summary>
    /// Frames are encoded into a per-thread writer and copied out by <see cref="IClientConnection.Send"/> before
    /// the handler returns, so sessions share a few writers instead of holding one each (memory per idle session).
    /// </summary>
    [ThreadStatic] private static JuteWriter? t_writer;

    /// <summary>A writer grown past this by a large frame is dropped after use rather than kept per thread.</summary>
    private const int WriterBytesKeptMax = 64 * 1024;
    private IClientConnection? _connection;
    private IReadOnlyList<Id> _authIds = [];
    private bool _flushQueued;
    /// <summary>Why the connection is closed when the actor stops; stays as is when a failure stopped it.</summary>
    private string _stopReason = "session stopped by a failure or a server stop";

    /// <summary>The connection's ids in the order they were added (ZooKeeper's bin order is derived from it).</summary>
    private List<Id>? _insertionOrder;

    public SessionActor(long sessionId, IActorRef applier, IConnectionDirectory connections, string? superDigest)
    {
        SessionId = sessionId;
        _applier = applier;
        _connections = connections;
        _superDigest = string.IsNullOrEmpty(superDigest) ? null : superDigest;
        Receive<Reply>(OnReply);
        Receive<Notify>(OnNotify);
        Receive<SessionOutput>(OnOutput);
        Receive<InboundBatch>(OnInboundBatch);
        Receive<Inbound>(m =>
        {
            var request = OnInbound(m);
            if (request is not null) _applier.Tell(request, ActorRefs.NoSender);
        });
        Receive<FlushReplies>(_ =>
        {
            _flushQueued = false;
            _connection?.Flush();
        });
        Receive<AttachConnection>(OnAttach);
        Receive<ConnectionLost>(OnConnectionLost);
        Receive<EndSession>(OnEnd);
    }

    public static Props Props(long sessionId, IActorRef applier, IConnectionDirectory connections, string? superDigest) =>
        Akka.Actor.Props.Create(() => new SessionActor(sessionId, applier, connections, superDigest)).WithDispatcher(Core.CoreConfig.SessionDispatcherId);

    public long SessionId { get; }

    protected override void PostStop()
    {
        // Normal end (close, expiry) or a failure: either way the client must not be left waiting on this connection.
        _connection?.Close(_stopReason);
        _connection = null;
    }

    private void OnReply(Reply m)
    {
        if (_connection is null || m.ConnectionId != _connection.Id) return;
        Write(m.Xid, m.Zxid, m.Err, m.Body, completesRequest: true);
        if (m.CloseAfter)
        {
            _connection.Close("closed after reply");
            _connection = null;
        }
    }

    private void OnNotify(Notify m)
    {
        if (_connection is null || m.ConnectionId != _connection.Id) return;
        Write(Xids.Notification, m.Zxid, ErrorCode.Ok, new WatcherEvent(m.Type, KeeperState.SyncConnected, m.Path), false);
    }

    private void OnAttach(AttachConnection m)
    {
        var old = _connection;
        var next = _connections.Find(m.ConnectionId);
        if (old is not null && old.Id != m.ConnectionId) old.Close("session moved to another connection");
        _connection = next;
        // Auth belongs to the connection: a new connection starts with its ip id only.
        _insertionOrder = null;
        if (next is null) return; // it closed while the handshake was on its way; the client will try again
        _authIds = InitialAuthIds(next.RemoteIp);
        var writer = Writer();
        int start = writer.BeginFrame();
        m.Response.Write(writer);
        writer.EndFrame(start);
        next.Send(writer.WrittenSpan, completesRequest: false);
        Release(writer);
        QueueFlush();
        next.Established(SessionId, Self);
    }

    /// <summary>A burst of requests: handled in order, the ones for the core sent on together.</summary>
    private void OnInboundBatch(InboundBatch m)
    {
        var forward = new ClientRequest[m.Requests.Count];
        int n = 0;
        foreach (var inbound in m.Requests)
            if (OnInbound(inbound) is { } request) forward[n++] = request;
        if (n == 0) return;
        if (n == 1) _applier.Tell(forward[0], ActorRefs.NoSender);
        else _applier.Tell(new ClientRequestBatch(n == forward.Length ? forward : forward[..n]), ActorRefs.NoSender);
    }

    /// <summary>One request from a connection: answered here (auth, a moved session) or returned for the applier.</summary>
    private ClientRequest? OnInbound(Inbound m)
    {
        if (_connection is null || m.ConnectionId != _connection.Id)
        {
            // A request on a connection the session has left (ZooKeeper: SESSIONMOVED, then close).
            if (_connections.Find(m.ConnectionId) is { } stale)
            {
                WriteTo(stale, m.Xid, LastZxidSent, ErrorCode.SessionMoved, null, true);
                stale.Close("request on a connection the session has moved away from");
            }
            return null;
        }
        if (m.Op == OpCode.Auth)
        {
            OnAuth(m.Xid, (AuthPacket)m.Record!);
            return null;
        }
        return new ClientRequest(SessionId, m.ConnectionId, m.Xid, m.Op, m.Record, _authIds);
    }

    /// <summary>What the applier produced for this session in one step: written in order, then sent in one flush.</summary>
    private void OnOutput(SessionOutput m)
    {
        _inOutput = true;
        try
        {
            foreach (var item in m.Items)
            {
                switch (item)
                {
                    case Reply r: OnReply(r); break;
                    case Notify n: OnNotify(n); break;
                    case AttachConnection a: OnAttach(a); break;
                    case ConnectionLost l: OnConnectionLost(l); break;
                    case EndSession e: OnEnd(e); return;
                    default: throw new InvalidOperationException($"unexpected {item} in a session's output");
                }
            }
        }
        finally
        {
            _inOutput = false;
        }
        _connection?.Flush();
    }

    private bool _inOutput;

    private void OnConnectionLost(ConnectionLost m)
    {
        if (m.ConnectionId == _connection?.Id) _connection = null;
    }

    private void OnEnd(EndSession m)
    {
        _stopReason = m.Reason;
        Context.Stop(Self);
    }

    private void OnAuth(int xid, AuthPacket packet)
    {
        // ZooKeeper answers an auth packet with the request's own xid (a client may use -4 or an ordinary xid).
        if (packet.Scheme != "digest")
        {
            Write(xid, 0, ErrorCode.AuthFailed, null, completesRequest: true);
            _connection?.Close($"auth scheme '{packet.Scheme}' is not supported");
            return;
        }
        // As ZooKeeper's DigestAuthenticationProvider: the id is user:base64(sha1(user:password)).
        string digest = DigestAuth.Digest(Encoding.UTF8.GetString(packet.Auth ?? []));
        _insertionOrder ??= new List<Id>(_authIds);
        var ids = _insertionOrder;
        var digestId = new Id("digest", digest);
        if (!ids.Contains(digestId)) ids.Add(digestId);
        if (_superDigest is not null && digest == _superDigest && !ids.Contains(SuperId)) ids.Add(SuperId);
        _authIds = AuthIdOrder.Arrange(ids);
        if (_connection is not null) _applier.Tell(new AuthIdsChanged(SessionId, _connection.Id, _authIds));
        Write(xid, 0, ErrorCode.Ok, null, completesRequest: true);
    }

    private static readonly Id SuperId = new("super", "");

    /// <summary>What a fresh connection is authenticated as: its ip address.</summary>
    public static IReadOnlyList<Id> InitialAuthIds(string remoteIp) => [new Id("ip", remoteIp)];

    /// <summary>Last zxid written to the client in a reply header.</summary>
    private long LastZxidSent { get; set; }

    private void Write(int xid, long zxid, ErrorCode err, IJuteWritable? body, bool completesRequest)
    {
        if (_connection is null) return;
        if (zxid > LastZxidSent) LastZxidSent = zxid;
        WriteTo(_connection, xid, zxid, err, body, completesRequest);
        QueueFlush();
    }

    private void QueueFlush()
    {
        if (_flushQueued || _inOutput) return; // a SessionOutput flushes once at its end
        _flushQueued = true;
        Self.Tell(FlushReplies.Instance, ActorRefs.NoSender);
    }

    private static void WriteTo(IClientConnection connection, int xid, long zxid, ErrorCode err, IJuteWritable? body, bool completesRequest)
    {
        var writer = Writer();
        int start = writer.BeginFrame();
        new ReplyHeader(xid, zxid, err).Write(writer);
        // Clients read a body only when err == 0 (exists/NONODE included), so errors carry none.
        if (err == ErrorCode.Ok) body?.Write(writer);
        writer.EndFrame(start);
        connection.Send(writer.WrittenSpan, completesRequest);
        Release(writer);
    }

    private static JuteWriter Writer()
    {
        var writer = t_writer ??= new JuteWriter(4096);
        writer.Reset();
        return writer;
    }

    private static void Release(JuteWriter writer)
    {
        if (writer.Length > WriterBytesKeptMax) t_writer = null;
    }
}

using System.Text;
using Coord.Actors.Runtime;
using Coord.Actors.Sequencer;
using Coord.Actors.Tree;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Sessions;

/// <summary>
/// One live session. Owns the binding to the session's current connection and the connection's auth ids,
/// forwards requests to the sequencer in arrival order, and writes the sequencer's replies and watch
/// events to the connection in the order it receives them — which is the order the sequencer produced
/// them, so an event always precedes any later reply that reflects its change.
/// Frames are encoded here, off the sequencer's thread.
/// </summary>
public sealed class SessionActor : Actor<SessionMessage>
{
    private readonly IActorRef<CoreMessage> _core;
    private readonly string? _superDigest;
    /// <summary>
    /// Frames are encoded into a per-thread writer and copied out by <see cref="IClientConnection.Send"/> before
    /// Receive returns, so sessions share a few writers instead of holding one each (memory per idle session).
    /// </summary>
    [ThreadStatic] private static JuteWriter? t_writer;

    /// <summary>A writer grown past this by a large frame is dropped after use rather than kept per thread.</summary>
    private const int WriterBytesKeptMax = 64 * 1024;
    private IClientConnection? _connection;
    private IReadOnlyList<Id> _authIds = [];

    /// <summary>The connection's ids in the order they were added (ZooKeeper's bin order is derived from it).</summary>
    private List<Id>? _insertionOrder;

    public SessionActor(long sessionId, IActorRef<CoreMessage> core, string? superDigest)
    {
        SessionId = sessionId;
        _core = core;
        _superDigest = string.IsNullOrEmpty(superDigest) ? null : superDigest;
    }

    public long SessionId { get; }

    /// <summary>Last zxid written to the client in a reply header.</summary>
    public long LastZxidSent { get; private set; }

    protected override void Receive(SessionMessage message)
    {
        switch (message)
        {
            case Inbound m: OnInbound(m); break;
            case Reply m:
                if (!ReferenceEquals(m.Connection, _connection)) break;
                Write(m.Xid, m.Zxid, m.Err, m.Body, completesRequest: true);
                if (m.CloseAfter) { _connection.Close("closed after reply"); _connection = null; }
                break;
            case Notify m:
                if (!ReferenceEquals(m.Connection, _connection)) break;
                Write(Xids.Notification, m.Zxid, ErrorCode.Ok, new WatcherEvent(m.Type, KeeperState.SyncConnected, m.Path), false);
                break;
            case AttachConnection m: OnAttach(m); break;
            case ConnectionLost m:
                if (ReferenceEquals(m.Connection, _connection)) _connection = null;
                break;
            case EndSession m:
                _connection?.Close(m.Reason);
                _connection = null;
                Stop();
                break;
        }
    }

    /// <summary>One write per turn: every frame this turn queued goes out together.</summary>
    protected override void OnMailboxDrained() => _connection?.Flush();

    private void OnAttach(AttachConnection m)
    {
        var old = _connection;
        _connection = m.Connection;
        // Auth belongs to the connection: a new connection starts with its ip id only.
        _insertionOrder = null;
        _authIds = InitialAuthIds(m.Connection);
        if (old is not null && !ReferenceEquals(old, m.Connection)) old.Close("session moved to another connection");
        var writer = Writer();
        int start = writer.BeginFrame();
        m.Response.Write(writer);
        writer.EndFrame(start);
        m.Connection.Send(writer.WrittenSpan, completesRequest: false);
        Release(writer);
        m.Connection.Established(this);
    }

    private void OnInbound(Inbound m)
    {
        if (!ReferenceEquals(m.Connection, _connection))
        {
            // A request on a connection the session has left (ZooKeeper: SESSIONMOVED, then close).
            WriteTo(m.Connection, m.Xid, LastZxidSent, ErrorCode.SessionMoved, null, true);
            m.Connection.Close("request on a connection the session has moved away from");
            return;
        }
        if (m.Op == OpCode.Auth)
        {
            OnAuth(m.Xid, (AuthPacket)m.Record!);
            return;
        }
        _core.Tell(new ClientRequest(this, m.Connection, m.Xid, m.Op, m.Record, _authIds));
    }

    private void OnAuth(int xid, AuthPacket packet)
    {
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
        if (_connection is not null) _core.Tell(new AuthIdsChanged(this, _connection, _authIds));
        Write(xid, 0, ErrorCode.Ok, null, completesRequest: true); // the request's own xid, as ZooKeeper's ReplyHeader(h.getXid(), ...)
    }

    private static readonly Id SuperId = new("super", "");

    /// <summary>What a fresh connection is authenticated as: its ip address.</summary>
    public static IReadOnlyList<Id> InitialAuthIds(IClientConnection connection) => [new Id("ip", connection.RemoteIp)];

    private void Write(int xid, long zxid, ErrorCode err, IJuteWritable? body, bool completesRequest)
    {
        if (_connection is null) return;
        if (zxid > LastZxidSent) LastZxidSent = zxid;
        WriteTo(_connection, xid, zxid, err, body, completesRequest);
    }

    private void WriteTo(IClientConnection connection, int xid, long zxid, ErrorCode err, IJuteWritable? body, bool completesRequest)
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

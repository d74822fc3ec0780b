using Akka.Actor;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Applier;

public sealed partial class ApplierActor
{
    private const int PasswordBytes = 16;

    private void OnConnect(ConnectRequested m)
    {
        var req = m.Request;
        var connection = _connections.Find(m.ConnectionId);
        if (connection is null) return; // gone before its handshake was read
        if (!_serving || LeaseLost(m.ConnectionId))
        {
            // An ensemble member that is looking or syncing has no state it may serve; the client tries another.
            connection.Close("this member is not serving: it is electing a leader or syncing with one");
            return;
        }
        if (req.LastZxidSeen > _tree.LastAppliedZxid)
        {
            // The client has seen a newer state than ours; it must find a server that has it.
            LogRefusedNewerZxid(_log, req.SessionId, req.LastZxidSeen, _tree.LastAppliedZxid);
            connection.Close("client has seen a newer zxid than this server");
            return;
        }
        int timeout = _settings.Session.Clamp(req.TimeOut);
        if (req.SessionId == 0)
        {
            CreateSession(m, connection, timeout);
            return;
        }

        if (!SessionLivesHere(req.SessionId, req.Passwd, out _))
        {
            RefuseSession(connection, req.SessionId, req.HasReadOnlyField);
            return;
        }
        // The sequencer's session tracker decides, as a ZooKeeper server revalidates a reconnect with its leader: this
        // member's tree may not show an expiry the leader already decided, and a client told its session lives would
        // go on as the holder of its ephemerals (a lock, a leadership). The handshake is answered with the verdict.
        _pendingReattaches[m.ConnectionId] = new PendingReattach(req.SessionId, timeout, req.HasReadOnlyField);
        ForwardWrites(); // one ordered channel to the sequencer: writes already received go first
        _sequencer.Tell(new SessionRevalidation(req.SessionId, timeout, m.ConnectionId));
    }

    /// <summary>The session exists in this member's tree, the password matches (when checked), and its client has not asked to close it.</summary>
    private bool SessionLivesHere(long sessionId, byte[]? password, out SessionRecord record, bool checkPassword = true)
    {
        if (!_tree.Sessions.TryGetValue(sessionId, out record!)) return false;
        if (checkPassword && (password is null || !record.Password.AsSpan().SequenceEqual(password))) return false;
        return !(_sessions.TryGetValue(sessionId, out var local) && local.Closing);
    }

    /// <summary>Expired, unknown or wrong password all look the same to the client: timeOut 0, then close.</summary>
    private void RefuseSession(Sessions.IClientConnection connection, long sessionId, bool hasReadOnlyField)
    {
        LogRefusedSession(_log, sessionId);
        var refusal = new ConnectResponse(0, 0, 0, new byte[PasswordBytes], false, hasReadOnlyField);
        var w = new JuteWriter(64);
        int start = w.BeginFrame();
        refusal.Write(w);
        w.EndFrame(start);
        connection.Send(w.WrittenSpan, completesRequest: false);
        connection.Close("session expired or invalid");
    }

    /// <summary>The sequencer's verdict on a reconnect: attach the session to the connection, or refuse it.</summary>
    private void OnRevalidated(SessionRevalidated v)
    {
        if (!_pendingReattaches.TryGetValue(v.ConnectionId, out var pending) || pending.SessionId != v.SessionId) return;
        _pendingReattaches.Remove(v.ConnectionId);
        var connection = _connections.Find(v.ConnectionId);
        if (connection is null) return; // the client gave up meanwhile; the session was touched and lives on
        if (!v.Valid || !SessionLivesHere(v.SessionId, null, out var record, checkPassword: false))
        {
            RefuseSession(connection, v.SessionId, pending.HasReadOnlyField);
            return;
        }
        if (!_sessions.TryGetValue(v.SessionId, out var session))
        {
            // Known to the replicated state but without a live actor here (restored after a restart, or its actor failed).
            session = StartSessionActor(v.SessionId, pending.TimeoutMs);
        }
        // Watches belong to a connection: the old connection's registrations go; the client re-sends them.
        _watches.RemoveWatcher(session.Id);
        session.TimeoutMs = pending.TimeoutMs;
        session.ConnectionId = v.ConnectionId;
        session.AuthIds = SessionActor.InitialAuthIds(connection.RemoteIp);
        Send(session, new AttachConnection(v.ConnectionId,
            new ConnectResponse(0, pending.TimeoutMs, session.Id, record.Password, false, pending.HasReadOnlyField)));
        LogReattached(_log, session.Id, pending.TimeoutMs);
    }

    private void CreateSession(ConnectRequested m, Sessions.IClientConnection connection, int timeout)
    {
        if (_tree.Sessions.Count + _pendingConnects.Count >= _settings.Session.SessionsMax)
        {
            LogTooManySessions(_log, _settings.Session.SessionsMax);
            connection.Close($"sessions-max ({_settings.Session.SessionsMax}) reached");
            return;
        }
        long id = _nextSessionId++;
        var password = _newPassword();
        if (password.Length != PasswordBytes) throw new InvalidOperationException("session passwords are 16 bytes");
        _pendingConnects[id] = new PendingConnect(m.ConnectionId, m.Request.HasReadOnlyField);
        ForwardWrites();
        _sequencer.Tell(new CreateSessionRequest(id, timeout, password));
    }

    /// <summary>A CreateSessionTxn is applied: the session exists everywhere; if this member asked for it, bind it and answer.</summary>
    private void FinishCreateSession(CreateSessionTxn txn)
    {
        if (!_pendingConnects.Remove(txn.SessionId, out var pending)) return;
        var connection = _connections.Find(pending.ConnectionId);
        if (connection is null) return; // the client left; the session expires unless it re-attaches
        var session = StartSessionActor(txn.SessionId, txn.TimeoutMs);
        session.ConnectionId = pending.ConnectionId;
        session.AuthIds = SessionActor.InitialAuthIds(connection.RemoteIp);
        Send(session, new AttachConnection(pending.ConnectionId,
            new ConnectResponse(0, txn.TimeoutMs, txn.SessionId, txn.Password, false, pending.HasReadOnlyField)));
        LogCreated(_log, txn.SessionId, txn.TimeoutMs);
    }

    private LocalSession StartSessionActor(long sessionId, int timeoutMs)
    {
        var actor = Context.ActorOf(
            SessionActor.Props(sessionId, Self, _connections, _settings.Auth.SuperDigest),
            $"session-{sessionId:x}-{++_actorGeneration}");
        Context.Watch(actor);
        _sessionOfActor[actor] = sessionId;
        var session = new LocalSession(sessionId, actor, timeoutMs);
        _sessions[sessionId] = session;
        return session;
    }

    private void OnConnectionClosed(ConnectionClosed m)
    {
        if (!_sessions.TryGetValue(m.SessionId, out var session) || session.ConnectionId != m.ConnectionId) return;
        session.ConnectionId = 0;
        _watches.RemoveWatcher(session.Id);
        Send(session, new ConnectionLost(m.ConnectionId));
    }

    /// <summary>The session's close txn is applied: its ephemerals are gone; release everything it held here.</summary>
    private void EndSession(long sessionId, string reason)
    {
        if (!_sessions.Remove(sessionId, out var session)) return;
        _watches.RemoveWatcher(sessionId);
        _sessionOfActor.Remove(session.Actor);
        Send(session, new EndSession(reason));
        LogEnded(_log, sessionId, reason);
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Session 0x{SessionId:x} created, timeout {TimeoutMs} ms")]
    private static partial void LogCreated(ILogger log, long sessionId, int timeoutMs);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Session 0x{SessionId:x} re-attached, timeout {TimeoutMs} ms")]
    private static partial void LogReattached(ILogger log, long sessionId, int timeoutMs);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Refused session 0x{SessionId:x}: expired, unknown or wrong password")]
    private static partial void LogRefusedSession(ILogger log, long sessionId);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Refused session 0x{SessionId:x}: client has seen zxid 0x{ClientZxid:x}, this server is at 0x{ServerZxid:x}")]
    private static partial void LogRefusedNewerZxid(ILogger log, long sessionId, long clientZxid, long serverZxid);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Refused a new session: sessions-max ({SessionsMax}) reached")]
    private static partial void LogTooManySessions(ILogger log, int sessionsMax);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Session 0x{SessionId:x} ended: {Reason}")]
    private static partial void LogEnded(ILogger log, long sessionId, string reason);
}

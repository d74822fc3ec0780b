using Akka.Actor;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
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

        if (!_tree.Sessions.TryGetValue(req.SessionId, out var record)
            || req.Passwd is null || !record.Password.AsSpan().SequenceEqual(req.Passwd)
            || (_sessions.TryGetValue(req.SessionId, out var closing) && closing.Closing))
        {
            // Expired, unknown or wrong password all look the same to the client: timeOut 0, then close.
            LogRefusedSession(_log, req.SessionId);
            var refusal = new ConnectResponse(0, 0, 0, new byte[PasswordBytes], false, req.HasReadOnlyField);
            var w = new JuteWriter(64);
            int start = w.BeginFrame();
            refusal.Write(w);
            w.EndFrame(start);
            connection.Send(w.WrittenSpan, completesRequest: false);
            connection.Close("session expired or invalid");
            return;
        }
        if (!_sessions.TryGetValue(req.SessionId, out var session))
        {
            // Known to the replicated state but without a live actor here (restored after a restart, or its actor failed).
            session = StartSessionActor(req.SessionId, timeout);
        }
        // Watches belong to a connection: the old connection's registrations go; the client re-sends them.
        _watches.RemoveWatcher(session.Id);
        session.TimeoutMs = timeout;
        session.ConnectionId = m.ConnectionId;
        session.AuthIds = SessionActor.InitialAuthIds(connection.RemoteIp);
        ForwardWrites(); // one ordered channel to the sequencer: writes already received go first
        _sequencer.Tell(new SessionReattached(session.Id, timeout));
        Send(session, new AttachConnection(m.ConnectionId,
            new ConnectResponse(0, timeout, session.Id, record.Password, false, req.HasReadOnlyField)));
        LogReattached(_log, session.Id, timeout);
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

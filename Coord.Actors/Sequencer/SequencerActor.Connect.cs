using Coord.Actors.Sessions;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Sequencer;

public sealed partial class SequencerActor
{
    private const int PasswordBytes = 16;

    private void OnConnect(ConnectRequested m)
    {
        var req = m.Request;
        if (req.LastZxidSeen > _tree.LastAppliedZxid)
        {
            // The client has seen a newer state than ours; it must find a server that has it.
            LogRefusedNewerZxid(_log, req.SessionId, req.LastZxidSeen, _tree.LastAppliedZxid);
            m.Connection.Close("client has seen a newer zxid than this server");
            return;
        }
        int timeout = Math.Clamp(req.TimeOut, _options.SessionTimeoutMsMin, _options.SessionTimeoutMsMax);
        if (req.SessionId == 0) { CreateSession(m, timeout); return; }

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
            m.Connection.Send(w.WrittenSpan, completesRequest: false);
            m.Connection.Close("session expired or invalid");
            return;
        }
        if (!_sessions.TryGetValue(req.SessionId, out var session))
        {
            // Known to the replicated state but without a live actor (e.g. restored after a restart).
            session = new CoreSession(new SessionActor(req.SessionId, this, _options.SuperDigest), timeout);
            _sessions[req.SessionId] = session;
        }
        // Watches belong to a connection: the old connection's registrations go; the client re-sends them.
        _watches.RemoveWatcher(session.Id);
        session.TimeoutMs = timeout;
        session.Connection = m.Connection;
        session.AuthIds = SessionActor.InitialAuthIds(m.Connection);
        _expiry.Touch(session.Id, timeout, _clock.MonotonicMs);
        session.Actor.Tell(new AttachConnection(m.Connection,
            new ConnectResponse(0, timeout, session.Id, record.Password, false, req.HasReadOnlyField)));
        LogReattached(_log, session.Id, timeout);
    }

    private void CreateSession(ConnectRequested m, int timeout)
    {
        if (_sessions.Count >= _options.SessionsMax)
        {
            LogTooManySessions(_log, _options.SessionsMax);
            m.Connection.Close($"sessions-max ({_options.SessionsMax}) reached");
            return;
        }
        long id = _nextSessionId++;
        var password = _newPassword();
        if (password.Length != PasswordBytes) throw new InvalidOperationException("session passwords are 16 bytes");
        Enqueue(zxid => new Pending(new SequencedTxn(new TxnHeader(id, 0, zxid, _clock.WallMs), new CreateSessionTxn(id, timeout, password)),
                PendingKind.CreateSession, Connect: m, NegotiatedTimeoutMs: timeout));
    }

    /// <summary>The createSession txn is applied: the session exists everywhere; bind it and answer.</summary>
    private void FinishCreateSession(Pending p)
    {
        var txn = (CreateSessionTxn)p.Txn.Body;
        var session = new CoreSession(new SessionActor(txn.SessionId, this, _options.SuperDigest), txn.TimeoutMs)
        {
            Connection = p.Connect!.Connection,
            AuthIds = SessionActor.InitialAuthIds(p.Connect.Connection),
        };
        _sessions[txn.SessionId] = session;
        _expiry.Touch(txn.SessionId, txn.TimeoutMs, _clock.MonotonicMs);
        session.Actor.Tell(new AttachConnection(p.Connect.Connection,
            new ConnectResponse(0, txn.TimeoutMs, txn.SessionId, txn.Password, false, p.Connect.Request.HasReadOnlyField)));
        LogCreated(_log, txn.SessionId, txn.TimeoutMs);
    }

    private void OnConnectionClosed(ConnectionClosed m)
    {
        if (!_sessions.TryGetValue(m.SessionId, out var session) || !ReferenceEquals(session.Connection, m.Connection)) return;
        session.Connection = null;
        _watches.RemoveWatcher(session.Id);
        session.Actor.Tell(new ConnectionLost(m.Connection));
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
}

using Coord.Actors.Prep;
using Coord.Actors.Sessions;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Sequencer;

public sealed partial class SequencerActor
{
    private static readonly IReadOnlyList<Id> SuperIds = [new Id("super", "")];

    /// <summary>Sessions restored with the tree (no client yet) start their timeout now.</summary>
    private void TrackRestoredSessions()
    {
        long now = _clock.MonotonicMs;
        foreach (var s in _tree.Sessions.Values) _expiry.Touch(s.SessionId, s.TimeoutMs, now);
    }

    private void OnTick()
    {
        long now = _clock.MonotonicMs;
        foreach (long id in _expiry.Expire(now))
        {
            _sessions.TryGetValue(id, out var session);
            if (session is { Closing: true } || !_tree.Sessions.ContainsKey(id)) continue;
            if (session is not null) session.Closing = true;
            LogExpiring(_log, id);
            Enqueue(zxid => new Pending(
                new SequencedTxn(new TxnHeader(id, 0, zxid, _clock.WallMs), _prep.PrepareCloseSession(id, zxid)),
                PendingKind.Expiry, session));
        }
        if (now >= _nextCleanupMs)
        {
            _nextCleanupMs = now + _options.ContainerCheckIntervalMs;
            int max = (int)Math.Max(1, (long)_options.ContainerMaxPerMinute * _options.ContainerCheckIntervalMs / 60_000);
            foreach (var path in ContainerScan.Candidates(_tree, _clock.WallMs, max))
            {
                // Deleting a container that gained a child meanwhile fails harmlessly (an error txn).
                Enqueue(zxid => new Pending(
                    new SequencedTxn(new TxnHeader(0, 0, zxid, _clock.WallMs),
                        _prep.Prepare(OpCode.DeleteContainer, new PathRequest(path), new SessionContext(0, SuperIds), zxid, _clock.WallMs)),
                    PendingKind.Cleanup));
            }
        }
    }

    /// <summary>The session's close txn is applied: its ephemerals are gone; release everything it held.</summary>
    private void EndSession(CoreSession? session, string reason)
    {
        if (session is null) return;
        _watches.RemoveWatcher(session.Id);
        _expiry.Remove(session.Id);
        _sessions.Remove(session.Id);
        session.Actor.Tell(new EndSession(reason));
        LogEnded(_log, session.Id, reason);
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Session 0x{SessionId:x} expired")]
    private static partial void LogExpiring(ILogger log, long sessionId);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Session 0x{SessionId:x} ended: {Reason}")]
    private static partial void LogEnded(ILogger log, long sessionId, string reason);
}

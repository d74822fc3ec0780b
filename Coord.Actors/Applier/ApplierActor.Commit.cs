using Akka.Actor;
using Coord.Actors.Journal;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Applier;

public sealed partial class ApplierActor
{
    private void OnCommitted(Committed m)
    {
        foreach (var txn in m.Txns)
        {
            long last = _tree.LastAppliedZxid;
            if (!Recovery.Follows(last, txn.Header.Zxid))
                throw new InvalidOperationException($"committed txn 0x{txn.Header.Zxid:x} does not follow the last applied 0x{last:x}");
            Apply(txn);
        }
        if (m.Txns.Count == 0) return;
        _sequencer.Tell(new Applied(_tree.LastAppliedZxid));
        MaybeSnapshot();
    }

    private void Apply(SequencedTxn txn)
    {
        var result = _tree.Apply(txn);
        long zxid = txn.Header.Zxid;
        CountForSnapshot(txn.Body);
        // Events first: a watcher must see the event before any reply that reflects the change.
        foreach (var trigger in result.Triggers)
        {
            _deliveries.Clear();
            _watches.Fire(trigger.Path, trigger.Type, _deliveries);
            foreach (var d in _deliveries)
            {
                // The watch is used up either way; a connection that cannot READ the node is not told (ZooKeeper 3.8.4+).
                if (!_sessions.TryGetValue(d.WatcherId, out var watcher) || watcher.ConnectionId == 0) continue;
                if (!AclCheck.Allowed(trigger.Acl, Perms.Read, watcher.AuthIds)) continue;
                Send(watcher, new Notify(watcher.ConnectionId, zxid, d.Type, d.Path));
            }
        }

        switch (txn.Body)
        {
            case CreateSessionTxn create:
                FinishCreateSession(create);
                return;
            case CloseSessionTxn close:
                if (TakeHead(txn, out var closer, out var closeRequest))
                {
                    Answer(closer, closeRequest, ErrorCode.Ok, null, closeAfter: true);
                    EndSession(close.SessionId, "session closed by the client");
                }
                else
                {
                    // Not asked for by a client of this member: the leader expired it.
                    _expiredSessions++;
                    EndSession(close.SessionId, "session expired");
                }
                return;
        }
        if (!TakeHead(txn, out var session, out var request)) return;
        var (err, body) = ReplyBuilder.ForWrite(request.Op, request.Record, txn.Body, result);
        Answer(session, request, err, body);
        RunHeldReads(session);
    }

    /// <summary>
    /// If the txn answers the oldest outstanding write of a session of this member (same session id and xid, and a
    /// close for a closeSession), takes that request off the session's queue.
    /// </summary>
    private bool TakeHead(SequencedTxn txn, out LocalSession session, out ClientRequest request)
    {
        request = null!;
        if (!_sessions.TryGetValue(txn.Header.SessionId, out session!) || session.PendingWrites == 0) return false;
        var head = session.Outstanding.Peek();
        bool isClose = txn.Body is CloseSessionTxn;
        if (head.Xid != txn.Header.Cxid || !IsSequenced(head.Op) || (isClose && head.Op != OpCode.CloseSession)) return false;
        session.Outstanding.Dequeue();
        session.PendingWrites--;
        request = head;
        return true;
    }

    /// <summary>A write of this session is applied: answer the reads that waited for it, up to its next write.</summary>
    private void RunHeldReads(LocalSession session)
    {
        while (session.Outstanding.Count > 0 && !IsSequenced(session.Outstanding.Peek().Op))
            Execute(session, session.Outstanding.Dequeue());
    }
}

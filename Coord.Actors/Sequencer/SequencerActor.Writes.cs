using Coord.Actors.Journal;
using Coord.Actors.Prep;
using Coord.Actors.Sessions;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Sequencer;

public sealed partial class SequencerActor
{
    /// <summary>Sequenced txns not yet applied, in zxid order (batched and in flight).</summary>
    private readonly Queue<Pending> _unapplied = new();

    /// <summary>Sequenced txns not yet handed to the journal.</summary>
    private readonly List<SequencedTxn> _batch = new();

    private bool _appendInFlight;

    private static bool IsWrite(OpCode op) => op is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer
        or OpCode.CreateTtl or OpCode.Delete or OpCode.DeleteContainer or OpCode.SetData or OpCode.SetAcl
        or OpCode.Multi or OpCode.CloseSession;

    private void OnRequest(ClientRequest r)
    {
        if (!_sessions.TryGetValue(r.Session.SessionId, out var session) || !ReferenceEquals(session.Actor, r.Session))
            return; // the session ended while the request was on its way; its connection is being closed
        if (ReferenceEquals(session.Connection, r.Connection))
            _expiry.Touch(session.Id, session.TimeoutMs, _clock.MonotonicMs);
        if (session.Closing)
        {
            Answer(session, r, ErrorCode.SessionExpired, null);
            return;
        }
        if (!IsWrite(r.Op))
        {
            if (session.PendingWrites > 0) session.Held.Enqueue((r, session.LastWriteZxid));
            else Execute(session, r);
            return;
        }
        long sid = session.Id;
        var kind = r.Op == OpCode.CloseSession ? PendingKind.ClientClose : PendingKind.ClientWrite;
        if (kind == PendingKind.ClientClose) session.Closing = true;
        // Built inline rather than through Enqueue's callback: a closure and a delegate per write add up.
        long zxid = _lastZxid + 1;
        Txn txn = kind == PendingKind.ClientClose ? _prep.PrepareCloseSession(sid, zxid) : PrepareSafely(r, sid, zxid);
        var pending = new Pending(new SequencedTxn(new TxnHeader(sid, r.Xid, zxid, _clock.WallMs), txn), kind, session, r);
        Sequenced(pending);
        session.PendingWrites++;
        session.LastWriteZxid = pending.Zxid;
    }

    private Txn PrepareSafely(ClientRequest r, long sessionId, long zxid)
    {
        try
        {
            return _prep.Prepare(r.Op, r.Record!, new SessionContext(sessionId, r.AuthIds), zxid, _clock.WallMs);
        }
        catch (Exception ex) when (ex is not InvalidOperationException)
        {
            // Prep must turn any client input into a txn; reaching here is a bug, answered as a marshalling error.
            LogPrepBug(_log, r.Op, ex);
            return new ErrorTxn(ErrorCode.MarshallingError);
        }
    }

    /// <summary>Gives the next zxid to a txn and queues it for the journal.</summary>
    private Pending Enqueue(Func<long, Pending> build)
    {
        var pending = build(_lastZxid + 1);
        Sequenced(pending);
        return pending;
    }

    /// <summary>Takes a txn built for the next zxid: it is now sequenced and queued for the journal.</summary>
    private void Sequenced(Pending pending)
    {
        long zxid = _lastZxid + 1;
        if (pending.Zxid != zxid) throw new InvalidOperationException($"txn built for zxid 0x{pending.Zxid:x}, expected 0x{zxid:x}");
        _lastZxid = zxid;
        _unapplied.Enqueue(pending);
        _batch.Add(pending.Txn);
    }

    /// <summary>End of a mailbox turn: hand what was sequenced to the journal, unless an append is in flight.</summary>
    private void FlushBatch()
    {
        while (_batch.Count > 0 && !_appendInFlight && !IsStopped)
        {
            var batch = _batch.ToArray();
            _batch.Clear();
            long through = batch[^1].Header.Zxid;
            _appendInFlight = true;
            bool durable;
            // The journal calls back from its writer thread right after the commit: one Tell, no task, no pool hop.
            try { durable = _journal.Append(batch, error => Tell(new AppendCompleted(through, error))); }
            catch (Exception ex)
            {
                OnAppendCompleted(new AppendCompleted(through, ex));
                return;
            }
            if (durable) OnAppendCompleted(new AppendCompleted(through, null));
        }
    }

    private void OnAppendCompleted(AppendCompleted m)
    {
        _appendInFlight = false;
        if (m.Error is not null)
        {
            // Nothing after this point may be acknowledged: the writes could not be persisted.
            OnFailure(new IOException($"journal append through zxid 0x{m.ThroughZxid:x} failed", m.Error));
            return;
        }
        while (_unapplied.Count > 0 && _unapplied.Peek().Zxid <= m.ThroughZxid) Apply(_unapplied.Dequeue());
        MaybeSnapshot();
        FlushBatch();
    }

    private void Apply(Pending p)
    {
        var result = _tree.Apply(p.Txn);
        _prep.Applied(p.Zxid);
        CountForSnapshot(p.Txn.Body);
        // Events first: a watcher must see the event before any reply that reflects the change.
        foreach (var trigger in result.Triggers)
        {
            _deliveries.Clear();
            _watches.Fire(trigger.Path, trigger.Type, _deliveries);
            foreach (var d in _deliveries)
            {
                // The watch is used up either way; a connection that cannot READ the node is not told (ZooKeeper 3.8.4+).
                if (!_sessions.TryGetValue(d.WatcherId, out var watcher) || watcher.Connection is not { } conn) continue;
                if (!AclCheck.Allowed(trigger.Acl, Perms.Read, watcher.AuthIds)) continue;
                watcher.Actor.Tell(new Notify(conn, p.Zxid, d.Type, d.Path));
            }
        }

        switch (p.Kind)
        {
            case PendingKind.CreateSession:
                FinishCreateSession(p);
                break;
            case PendingKind.ClientWrite:
            {
                var (err, body) = ReplyBuilder.ForWrite(p.Request!.Op, p.Request.Record, p.Txn.Body, result);
                Answer(p.Session!, p.Request, err, body);
                FinishWrite(p.Session!, p.Zxid);
                break;
            }
            case PendingKind.ClientClose:
                Answer(p.Session!, p.Request!, ErrorCode.Ok, null, closeAfter: true);
                EndSession(p.Session!, "session closed by the client");
                break;
            case PendingKind.Expiry:
                _expiredSessions++;
                EndSession(p.Session, "session expired");
                break;
            case PendingKind.Cleanup:
                break;
        }
    }

    /// <summary>A write of this session is applied: run the requests that were waiting for it.</summary>
    private void FinishWrite(CoreSession session, long zxid)
    {
        session.PendingWrites--;
        while (session.Held.Count > 0 && session.Held.Peek().AfterZxid <= zxid)
            Execute(session, session.Held.Dequeue().Request);
    }

    private void Answer(CoreSession session, ClientRequest r, ErrorCode err, IJuteWritable? body, bool closeAfter = false) =>
        session.Actor.Tell(new Reply(r.Connection, r.Xid, _tree.LastAppliedZxid, err, body, closeAfter));

    [LoggerMessage(EventId = 1200, Level = LogLevel.Error, Message = "Prep failed on a {Op} request; answered MARSHALLINGERROR")]
    private static partial void LogPrepBug(ILogger log, OpCode op, Exception error);
}

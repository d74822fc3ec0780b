using Akka.Actor;
using Coord.Actors.Sessions;
using Coord.Actors.Tree;
using Coord.Actors.Watches;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Applier;

public sealed partial class ApplierActor
{
    private static bool IsWrite(OpCode op) => op is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer
        or OpCode.CreateTtl or OpCode.Delete or OpCode.DeleteContainer or OpCode.SetData or OpCode.SetAcl
        or OpCode.Multi or OpCode.CloseSession;

    /// <summary>
    /// Requests the sequencer orders: every write, and in an ensemble also sync, which goes through the leader as a
    /// no-op txn so that its answer follows everything committed before it (standalone, every earlier write is
    /// already applied when a sync is read, so it is answered at once).
    /// </summary>
    private bool IsSequenced(OpCode op) => IsWrite(op) || (op == OpCode.Sync && _syncThroughLeader);

    private bool _syncThroughLeader;

    private void OnRequest(ClientRequest r)
    {
        if (!_sessions.TryGetValue(r.SessionId, out var session))
            return; // the session ended while the request was on its way; its connection is being closed
        if (!_serving)
        {
            // A request that was on its way when this ensemble member stopped serving: taken, it could never be answered
            // and would hold every later request of the session behind it. The client learns on its next connection.
            _connections.Find(r.ConnectionId)?.Close("this member is not serving: it is electing a leader or syncing with one");
            return;
        }
        if (session.Closing)
        {
            Answer(session, r, ErrorCode.SessionExpired, null);
            return;
        }
        if (!IsSequenced(r.Op))
        {
            if (LeaseLost(r.ConnectionId)) return;
            // Writes touch the session when the sequencer receives them; reads and pings are reported at the next tick.
            if (!session.Touched && session.ConnectionId == r.ConnectionId)
            {
                session.Touched = true;
                _touched.Add(session.Id);
            }
            if (session.PendingWrites > 0) session.Outstanding.Enqueue(r);
            else Execute(session, r);
            return;
        }
        if (r.Op == OpCode.CloseSession) session.Closing = true;
        session.Outstanding.Enqueue(r);
        session.PendingWrites++;
        // The sequencer decides; the answer comes back as the applied txn with this session id and xid. Writes
        // leave at the end of the message being handled, together (AroundReceive).
        _writes.Add(r);
    }

    /// <summary>Writes received and not yet forwarded, in arrival order (reused; what leaves is a copy).</summary>
    private readonly List<ClientRequest> _writes = new();

    private void ForwardWrites()
    {
        if (_writes.Count == 0) return;
        _sequencer.Tell(new Sequencer.ForwardedWrites(_writes.ToArray()), ActorRefs.NoSender);
        _writes.Clear();
    }

    private void Answer(LocalSession session, ClientRequest r, ErrorCode err, IJuteWritable? body, bool closeAfter = false) =>
        Send(session, new Reply(r.ConnectionId, r.Xid, _tree.LastAppliedZxid, err, body, closeAfter));

    /// <summary>Runs a non-write request against the tree as applied so far, and answers it.</summary>
    private void Execute(LocalSession session, ClientRequest r)
    {
        // Watches registered from a connection the session already left would never be delivered.
        bool current = session.ConnectionId == r.ConnectionId;
        switch (r.Op)
        {
            case OpCode.Ping:
                Answer(session, r, ErrorCode.Ok, null);
                break;
            case OpCode.Sync:
                // Standalone: every earlier write is applied (the session's own were waited for above).
                Answer(session, r, ErrorCode.Ok, new PathResponse(((PathRequest)r.Record!).Path));
                break;
            case OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2 or OpCode.GetAcl
                or OpCode.GetAllChildrenNumber or OpCode.GetEphemerals or OpCode.MultiRead:
            {
                var outcome = TreeReads.Execute(_tree, r.Op, r.Record!, session.Id, r.AuthIds, _settings.Auth.ExistsRequiresRead);
                if (outcome.WatchToRegister is { } kind && current && r.Record is IPathRequest pr)
                    _watches.Add(pr.Path, session.Id, kind == WatchKind.Child ? WatchBits.Child : WatchBits.Data);
                Answer(session, r, outcome.Err, outcome.Body as IJuteWritable);
                break;
            }
            case OpCode.SetWatches or OpCode.SetWatches2:
                if (current) ReplayWatches(session, (SetWatchesRequest)r.Record!);
                Answer(session, r, ErrorCode.Ok, null);
                break;
            case OpCode.AddWatch:
            {
                var add = (AddWatchRequest)r.Record!;
                if (current)
                    _watches.Add(add.Path, session.Id, add.Mode == AddWatchMode.PersistentRecursive ? WatchBits.Recursive : WatchBits.Persistent);
                Answer(session, r, ErrorCode.Ok, new ErrorResponse(ErrorCode.Ok));
                break;
            }
            case OpCode.CheckWatches or OpCode.RemoveWatches:
            {
                var req = (WatchesRequest)r.Record!;
                var bits = BitsOf(req.Type);
                bool found = r.Op == OpCode.CheckWatches
                    ? _watches.Has(req.Path, session.Id, bits)
                    : _watches.Remove(req.Path, session.Id, bits);
                Answer(session, r, found ? ErrorCode.Ok : ErrorCode.NoWatcher, null);
                break;
            }
            case OpCode.WhoAmI:
                Answer(session, r, ErrorCode.Ok, new WhoAmIResponse(r.AuthIds.Select(ToClientInfo).ToList()));
                break;
            case OpCode.Reconfig or OpCode.Sasl:
                // Standalone: no membership to change; SASL is not offered.
                Answer(session, r, ErrorCode.Unimplemented, null);
                break;
            default:
                // Unknown opcodes, and check outside multi: ZooKeeper answers UNIMPLEMENTED and closes.
                Answer(session, r, ErrorCode.Unimplemented, null, closeAfter: true);
                break;
        }
    }

    private static WatchBits BitsOf(WatcherType type) => type switch
    {
        WatcherType.Children => WatchBits.Child,
        WatcherType.Data => WatchBits.Data,
        WatcherType.Persistent => WatchBits.Persistent,
        WatcherType.PersistentRecursive => WatchBits.Recursive,
        _ => WatchBits.Data | WatchBits.Child | WatchBits.Persistent | WatchBits.Recursive,
    };

    private static ClientInfo ToClientInfo(Id id) => id.Scheme switch
    {
        // whoAmI reports the user name of a digest id, not its hash.
        "digest" => new ClientInfo(id.Scheme, id.Ident.Split(':', 2)[0]),
        _ => new ClientInfo(id.Scheme, id.Ident),
    };

    /// <summary>
    /// setWatches after a reconnect: fire at once what changed since the client's last zxid, re-arm the
    /// rest (ZooKeeper's DataTree.setWatches).
    /// </summary>
    private void ReplayWatches(LocalSession session, SetWatchesRequest req)
    {
        long conn = session.ConnectionId;
        long rel = req.RelativeZxid;
        long zxid = _tree.LastAppliedZxid;
        void Fire(EventType type, string path) => Send(session, new Notify(conn, zxid, type, path));

        foreach (var path in req.DataWatches)
        {
            var node = _tree.Get(path);
            if (node is null) Fire(EventType.NodeDeleted, path);
            else if (node.Stat.Mzxid > rel) Fire(EventType.NodeDataChanged, path);
            else _watches.Add(path, session.Id, WatchBits.Data);
        }
        foreach (var path in req.ExistWatches)
        {
            if (_tree.Get(path) is not null) Fire(EventType.NodeCreated, path);
            else _watches.Add(path, session.Id, WatchBits.Data);
        }
        foreach (var path in req.ChildWatches)
        {
            var node = _tree.Get(path);
            if (node is null) Fire(EventType.NodeDeleted, path);
            else if (node.Stat.Pzxid > rel) Fire(EventType.NodeChildrenChanged, path);
            else _watches.Add(path, session.Id, WatchBits.Child);
        }
        foreach (var path in req.PersistentWatches) _watches.Add(path, session.Id, WatchBits.Persistent);
        foreach (var path in req.PersistentRecursiveWatches) _watches.Add(path, session.Id, WatchBits.Recursive);
    }
}

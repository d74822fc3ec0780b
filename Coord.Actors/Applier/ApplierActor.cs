using Akka.Actor;
using Coord.Actors.Core;
using Coord.Actors.Journal;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
using Coord.Actors.Settings;
using Coord.Actors.Tree;
using Coord.Actors.Watches;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Applier;

/// <summary>
/// The every-member half of the core: it owns the tree and the watch table, applies committed txns in zxid order,
/// fires watches, serves reads, and routes each reply by (session id, cxid) to the session actor that asked. It
/// also binds connections to sessions (handshakes, re-attach) and is the parent and supervisor of this member's
/// session actors. Writes go on to the sequencer (one ordered channel), so the applier never decides a write:
/// it waits for the txn, as a follower would.
/// Ordering contract: requests of one session are answered in arrival order; a read waits until the session's
/// earlier writes are applied, then runs against the tree at that point; watch events of a txn go out before
/// any reply that reflects it.
/// Failure: an exception here is a broken invariant (the guardian stops the server); an exception in a session
/// actor stops that actor only, which closes its client's connection (<see cref="SupervisorStrategy"/>).
/// </summary>
public sealed partial class ApplierActor : ReceiveActor
{
    private readonly CoordSettings _settings;
    private DataTree _tree; // replaced only while an ensemble member is not serving (sync truncated or installed a snapshot)
    private readonly WatchTable _watches = new();
    private readonly IConnectionDirectory _connections;
    private readonly Func<byte[]> _newPassword;
    private readonly CoreThreadGuard _thread;
    private readonly ILogger _log;
    private readonly Dictionary<long, LocalSession> _sessions = new();
    private readonly Dictionary<IActorRef, long> _sessionOfActor = new();
    private readonly Dictionary<long, PendingConnect> _pendingConnects = new();
    /// <summary>Reconnects waiting for the sequencer's verdict, by connection id.</summary>
    private readonly Dictionary<long, PendingReattach> _pendingReattaches = new();
    /// <summary>Sessions with a read or ping since the last tick, each once (<see cref="LocalSession.Touched"/>).</summary>
    private readonly List<long> _touched = new();
    private readonly List<WatchDelivery> _deliveries = new();
    private IActorRef _sequencer = ActorRefs.Nobody;
    private IActorRef _journal = ActorRefs.Nobody;
    private long _nextSessionId;
    private long _expiredSessions;
    private int _actorGeneration;

    public ApplierActor(
        CoordSettings settings, DataTree tree, IConnectionDirectory connections, long firstSessionId,
        Func<byte[]> newPassword, CoreThreadGuard thread, ILogger log, SnapshotStore? snapshots)
    {
        _settings = settings;
        _tree = tree;
        _connections = connections;
        _nextSessionId = firstSessionId;
        _newPassword = newPassword;
        _thread = thread;
        _log = log;
        _snapshots = snapshots;
        _nodesAtLastSnapshot = tree.NodeCount;

        Receive<ClientRequest>(OnRequest);
        Receive<ClientRequestBatch>(m =>
        {
            foreach (var request in m.Requests) OnRequest(request);
        });
        Receive<Committed>(OnCommitted);
        Receive<ConnectRequested>(OnConnect);
        Receive<Sequencer.SessionRevalidated>(OnRevalidated);
        Receive<ConnectionClosed>(OnConnectionClosed);
        Receive<AuthIdsChanged>(m =>
        {
            if (_sessions.TryGetValue(m.SessionId, out var s) && s.ConnectionId == m.ConnectionId) s.AuthIds = m.AuthIds;
        });
        Receive<TickElapsed>(_ => ReportTick());
        Receive<SnapshotWritten>(OnSnapshotWritten);
        Receive<Terminated>(OnSessionActorStopped);
        Receive<StatsQuery>(_ => Sender.Tell(Stats()));
        Receive<WatchReportQuery>(_ => Sender.Tell(WatchReport()));
        Receive<EphemeralsQuery>(_ => Sender.Tell(EphemeralsReport()));
        Receive<ApplierWiring>(m =>
        {
            _sequencer = m.Sequencer;
            _journal = m.Journal;
            _serving = !m.Ensemble;
            _syncThroughLeader = m.Ensemble;
            _lease = m.Lease;
        });
        ReceiveEnsemble();
    }

    public static Props Props(
        CoordSettings settings, DataTree tree, IConnectionDirectory connections, long firstSessionId,
        Func<byte[]> newPassword, CoreThreadGuard thread, ILogger log, SnapshotStore? snapshots) =>
        Akka.Actor.Props.Create(() => new ApplierActor(settings, tree, connections, firstSessionId, newPassword, thread, log, snapshots))
            .WithDispatcher(CoreConfig.CoreDispatcherId);

    /// <summary>Seeds a session id from the clock and server id, as ZooKeeper does: ids never repeat across restarts or members.</summary>
    public static long FirstSessionId(long wallMs, int serverId) =>
        (long)((ulong)(wallMs << 24) >> 8) | ((long)serverId << 56);

    /// <summary>
    /// Every message ends the same way: writes received during it go to the sequencer in one message, and each
    /// session gets what was produced for it in one message, in the order produced (replies, events, attach, end).
    /// That is where batching happens: a pipelined burst costs a few hand-offs, not a few per request.
    /// </summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        _thread.Enter("applier");
        try
        {
            bool handled = base.AroundReceive(receive, message);
            ForwardWrites();
            FlushOutputs();
            return handled;
        }
        finally { _thread.Exit(); }
    }

    /// <summary>Sessions with output queued during the current message.</summary>
    private readonly List<LocalSession> _withOutput = new();

    /// <summary>A session's output list is kept for its next burst unless a burst grew it past this (memory per idle session).</summary>
    private const int OutputCapacityKeptMax = 64;

    /// <summary>Queues a message for a session's actor; it leaves at the end of the current message, in order.</summary>
    private void Send(LocalSession session, SessionMessage message)
    {
        var output = session.Output ??= new List<SessionMessage>(4);
        if (output.Count == 0) _withOutput.Add(session);
        output.Add(message);
    }

    private void FlushOutputs()
    {
        if (_withOutput.Count == 0) return;
        foreach (var session in _withOutput)
        {
            var output = session.Output!;
            session.Actor.Tell(output.Count == 1 ? output[0] : new SessionOutput(output.ToArray()), ActorRefs.NoSender);
            output.Clear();
            if (output.Capacity > OutputCapacityKeptMax) session.Output = null;
        }
        _withOutput.Clear();
    }

    /// <summary>A failing session actor is stopped (its PostStop closes the connection) and logged; nothing else is touched.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new SessionFailureStrategy(_log, _sessionOfActor);

    /// <summary>Sessions with activity since the last tick go to the sequencer, which decides expiry, then the tick.</summary>
    private void ReportTick()
    {
        ForwardWrites(); // one ordered channel to the sequencer: writes already received go first
        var ids = _touched.Count == 0 ? [] : _touched.ToArray();
        foreach (long id in ids)
            if (_sessions.TryGetValue(id, out var s)) s.Touched = false;
        _touched.Clear();
        _sequencer.Tell(new SessionsTouched(ids));
    }

    private CoreStats Stats() => new(
        _tree.LastAppliedZxid, _tree.NodeCount, _watches.Count,
        _tree.Sessions.Count, _tree.EphemeralCount, _tree.ApproximateDataSize,
        _sessions.Values.Sum(s => s.Outstanding.Count), _expiredSessions);

    private WatchReport WatchReport() => new(
        _watches.Watchers().Select(w => (w, _watches.PathsOf(w))).ToList(),
        _watches.ByPath().ToList());

    private EphemeralsReport EphemeralsReport() => new(
        _tree.Sessions.Keys.Order().Select(id => (id, (IReadOnlyList<string>)_tree.EphemeralsOf(id).Order(StringComparer.Ordinal).ToList()))
            .Where(e => e.Item2.Count > 0).ToList());

    private void OnSessionActorStopped(Terminated m)
    {
        if (!_sessionOfActor.Remove(m.ActorRef, out long id)) return;
        // Stopped by a failure (a normal end removes the session first): forget the binding; the session itself
        // lives on in the tree until it expires, and its client may re-attach.
        if (_sessions.Remove(id, out var session)) _watches.RemoveWatcher(session.Id);
    }

    private sealed class SessionFailureStrategy(ILogger log, Dictionary<IActorRef, long> sessionOfActor)
        : OneForOneStrategy(_ => Directive.Stop)
    {
        protected override void LogFailure(IActorContext context, IActorRef child, Exception cause, Directive directive)
        {
            sessionOfActor.TryGetValue(child, out long id);
            LogSessionFailed(log, id, cause);
        }
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Error, Message = "Session 0x{SessionId:x} failed; its connection is closed, other sessions carry on")]
    private static partial void LogSessionFailed(ILogger log, long sessionId, Exception error);
}

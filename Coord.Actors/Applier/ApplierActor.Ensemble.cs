using Akka.Actor;
using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Applier;

/// <summary>An ensemble member starts or stops serving clients (synced with an established leader, or not).</summary>
public sealed record ServingChanged(bool Serving, string Reason);

/// <summary>Sync rebuilt this member's state (a truncation or a leader's snapshot): apply from this tree on.</summary>
public sealed record ReplaceTree(DataTree Tree);

/// <summary>The leader's replication asks for its tree as applied now, to sync a learner (SNAP).</summary>
public sealed record TreeSnapshotRequest(long Member, long LinkId);

/// <summary>
/// The answer to <see cref="TreeSnapshotRequest"/>: a consistent image of the tree (<see cref="DataTree.Capture"/>, taken on
/// the applier's thread; serializing it is safe on any thread while the tree applies on).
/// </summary>
public sealed record TreeSnapshot(long Member, long LinkId, TreeImage Image);

// The applier in an ensemble: it serves clients only while its member is synced (ServingChanged), and sync may
// replace its tree while it does not serve.
public sealed partial class ApplierActor
{
    private bool _serving = true;
    private Ensemble.ServingLease? _lease;

    /// <summary>
    /// An ensemble member whose lease ran out (no word from its leader, or a leader from its quorum, within the sync
    /// limit) answers nothing from its tree: the client's connection is closed and it tries another member.
    /// </summary>
    private bool LeaseLost(long connectionId)
    {
        if (_lease is null || _lease.Valid) return false;
        _connections.Find(connectionId)?.Close("this member lost touch with its ensemble's quorum");
        return true;
    }

    private void ReceiveEnsemble()
    {
        Receive<ServingChanged>(OnServingChanged);
        Receive<ReplaceTree>(m =>
        {
            if (_serving) throw new InvalidOperationException("the tree was replaced while serving clients");
            _tree = m.Tree;
            _nodesAtLastSnapshot = _tree.NodeCount;
            LogTreeReplaced(_log, _tree.LastAppliedZxid, _tree.NodeCount);
        });
        Receive<TreeSnapshotRequest>(m =>
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            var image = _tree.Capture();
            LogSnapCaptured(_log, m.Member, image.NodeCount, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Sender.Tell(new TreeSnapshot(m.Member, m.LinkId, image));
        });
    }

    private void OnServingChanged(ServingChanged m)
    {
        if (m.Serving == _serving) return;
        _serving = m.Serving;
        LogServing(_log, m.Serving, m.Reason);
        if (m.Serving) return;
        // Whatever was in flight may never be answered (a forwarded write lost with the leader) or be answered by a
        // new leader's history: the clients reconnect elsewhere and learn the outcome there, as with ZooKeeper.
        foreach (var connect in _pendingConnects.Values) _connections.Find(connect.ConnectionId)?.Close("this member stopped serving");
        _pendingConnects.Clear();
        foreach (var connectionId in _pendingReattaches.Keys) _connections.Find(connectionId)?.Close("this member stopped serving");
        _pendingReattaches.Clear();
        foreach (var session in _sessions.Values)
        {
            session.Outstanding.Clear();
            session.PendingWrites = 0;
            if (session.ConnectionId == 0) continue;
            _connections.Find(session.ConnectionId)?.Close($"this member stopped serving: {m.Reason}");
        }
    }

    [LoggerMessage(EventId = 1600, Level = LogLevel.Warning, Message = "Serving clients: {Serving} ({Reason})")]
    private static partial void LogServing(ILogger log, bool serving, string reason);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Information, Message = "SNAP for member {Member}: captured the tree ({Nodes} nodes) in {Ms:0.0} ms")]
    private static partial void LogSnapCaptured(ILogger log, long member, int nodes, double ms);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Tree replaced by sync: zxid 0x{Zxid:x}, {Nodes} nodes")]
    private static partial void LogTreeReplaced(ILogger log, long zxid, long nodes);
}

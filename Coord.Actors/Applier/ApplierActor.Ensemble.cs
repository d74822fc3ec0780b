using Akka.Actor;
using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Applier;

/// <summary>An ensemble member starts or stops serving clients (synced with an established leader, or not).</summary>
public sealed record ServingChanged(bool Serving, string Reason);

/// <summary>Sync rebuilt this member's state (a truncation or a leader's snapshot): apply from this tree on.</summary>
public sealed record ReplaceTree(DataTree Tree);

/// <summary>The leader's replication asks for its tree as applied now, serialized, to sync a learner (SNAP).</summary>
public sealed record TreeSnapshotRequest(long Member, long LinkId);

/// <summary>The answer to <see cref="TreeSnapshotRequest"/>: the tree at <see cref="Zxid"/> in the snapshot format.</summary>
public sealed record TreeSnapshot(long Member, long LinkId, long Zxid, byte[] Bytes);

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
            var image = _tree.Capture();
            var replyTo = Sender;
            BackgroundThread.Run("coord-sync-snapshot", () => SnapshotFormat.ToBytes(image)).ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully) replyTo.Tell(new TreeSnapshot(m.Member, m.LinkId, image.LastZxid, t.Result));
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
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

    [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Tree replaced by sync: zxid 0x{Zxid:x}, {Nodes} nodes")]
    private static partial void LogTreeReplaced(ILogger log, long zxid, long nodes);
}

using Akka.Actor;
using Coord.Actors.Journal;
using Coord.Actors.Txns;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Applier;

public sealed partial class ApplierActor
{
    private readonly SnapshotStore? _snapshots;
    private long _txnsSinceSnapshot;
    private long _bytesSinceSnapshot;
    private bool _snapshotInFlight;

    /// <summary>Znodes in the last snapshot taken; until one is, the tree as recovered (what the last snapshot plus replay left).</summary>
    private long _nodesAtLastSnapshot;

    private void CountForSnapshot(Txn txn)
    {
        _txnsSinceSnapshot++;
        _bytesSinceSnapshot += SnapshotPolicy.ApproximateBytes(txn);
    }

    /// <summary>
    /// Captures the tree (reference copies of copy-on-write nodes, no per-node work) and writes it off the
    /// actor thread, so writes go on while the snapshot is serialised and fsync'd. One at a time: when the
    /// next one falls due while the previous is still being written, it is skipped and the count starts
    /// again (ZooKeeper's "too busy to snap"), so a write-heavy load does not keep a core busy writing
    /// snapshots back to back; the journal then covers up to twice the interval.
    /// </summary>
    private void MaybeSnapshot()
    {
        if (_snapshots is null) return;
        var s = _settings.Snapshot;
        var decision = SnapshotPolicy.Decide(_txnsSinceSnapshot, _bytesSinceSnapshot,
            s.EveryTxns, (long)s.EveryMib << 20, _snapshotInFlight, _tree.NodeCount, s.MinTxnsPerZnode, _nodesAtLastSnapshot);
        if (decision == SnapshotDecision.Wait) return;
        if (decision == SnapshotDecision.Skip)
        {
            LogSnapshotSkipped(_log, _txnsSinceSnapshot);
            _txnsSinceSnapshot = 0;
            _bytesSinceSnapshot = 0;
            return;
        }
        var image = _tree.Capture();
        _nodesAtLastSnapshot = _tree.NodeCount;
        _txnsSinceSnapshot = 0;
        _bytesSinceSnapshot = 0;
        _snapshotInFlight = true;
        var store = _snapshots;
        int retain = s.Retain;
        var self = Self;
        // A dedicated thread, not a pool thread: serialising millions of nodes takes seconds (see BackgroundThread).
        BackgroundThread.Run("coord-snapshot", () =>
        {
            var file = store.Write(image);
            store.Purge(retain);
            var kept = store.List();
            return new SnapshotWritten(file.Zxid, kept[^1].Zxid, null);
        }).ContinueWith(
            t => self.Tell(t.IsCompletedSuccessfully ? t.Result : new SnapshotWritten(image.LastZxid, 0, t.Exception?.GetBaseException())),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnSnapshotWritten(SnapshotWritten m)
    {
        _snapshotInFlight = false;
        if (m.Error is not null)
        {
            // Not fatal: the journal still holds everything since the previous snapshot.
            LogSnapshotFailed(_log, m.Zxid, m.Error);
            return;
        }
        LogSnapshotWritten(_log, m.Zxid, m.OldestKeptZxid);
        // No recovery path needs txns at or before the oldest snapshot kept.
        _journal.Tell(new PurgeThrough(m.OldestKeptZxid));
    }

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Snapshot at zxid 0x{Zxid:x} written; journal purged through 0x{PurgeZxid:x}")]
    private static partial void LogSnapshotWritten(ILogger log, long zxid, long purgeZxid);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Error, Message = "Snapshot at zxid 0x{Zxid:x} failed; the journal keeps everything since the previous one")]
    private static partial void LogSnapshotFailed(ILogger log, long zxid, Exception error);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Information, Message = "Snapshot due after {Txns} txns skipped: the previous one is still being written")]
    private static partial void LogSnapshotSkipped(ILogger log, long txns);
}

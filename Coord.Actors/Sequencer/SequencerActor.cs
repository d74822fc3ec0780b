using Coord.Actors.Journal;
using Coord.Actors.Prep;
using Coord.Actors.Runtime;
using Coord.Actors.Sessions;
using Coord.Actors.Time;
using Coord.Actors.Tree;
using Coord.Actors.Watches;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Sequencer;

/// <summary>
/// The single writer of the replicated state on a standalone server: it owns the tree, the prep overlay,
/// the watch table and session expiry, gives every write its zxid, hands batches to the journal (one
/// append in flight; what arrives meanwhile forms the next batch — group commit), applies txns in zxid
/// order once durable, and sends watch events before the replies of the same step.
/// Ordering contract: requests of one session are answered in arrival order; a non-write request waits
/// until the session's earlier writes are applied, then runs against the tree at that point.
/// </summary>
public sealed partial class SequencerActor : Actor<CoreMessage>
{
    private readonly SequencerOptions _options;
    private readonly IClock _clock;
    private readonly IJournal _journal;
    private readonly DataTree _tree;
    private readonly Preparer _prep;
    private readonly WatchTable _watches = new();
    private readonly ExpiryQueue _expiry;
    private readonly Func<byte[]> _newPassword;
    private readonly ILogger _log;
    private readonly Dictionary<long, CoreSession> _sessions = new();
    private readonly List<WatchDelivery> _deliveries = new();
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextSessionId;
    private long _lastZxid;
    private long _expiredSessions;
    private long _nextCleanupMs;

    public SequencerActor(
        SequencerOptions options, IClock clock, IJournal journal, DataTree tree, long firstSessionId,
        Func<byte[]> newPassword, ILogger log, SnapshotStore? snapshots = null)
    {
        _snapshots = snapshots;
        _options = options;
        _clock = clock;
        _journal = journal;
        _tree = tree;
        _prep = new Preparer(tree, new PrepSettings(options.ExtendedTypesEnabled));
        _expiry = new ExpiryQueue(options.TickMs);
        _newPassword = newPassword;
        _log = log;
        _nextSessionId = firstSessionId;
        _lastZxid = tree.LastAppliedZxid;
        _nodesAtLastSnapshot = tree.NodeCount;
        _nextCleanupMs = clock.MonotonicMs + options.ContainerCheckIntervalMs;
        TrackRestoredSessions();
    }

    /// <summary>Completes when the sequencer stopped because it could no longer persist or keep its invariants.</summary>
    public Task Failed => _failed.Task;

    /// <summary>Seeds a session id from the clock and server id, as ZooKeeper does: ids never repeat across restarts.</summary>
    public static long FirstSessionId(long wallMs, int serverId) =>
        (long)((ulong)(wallMs << 24) >> 8) | ((long)serverId << 56);

    protected override void Receive(CoreMessage message)
    {
        switch (message)
        {
            case ClientRequest m: OnRequest(m); break;
            case ConnectRequested m: OnConnect(m); break;
            case ConnectionClosed m: OnConnectionClosed(m); break;
            case AuthIdsChanged m:
                if (_sessions.TryGetValue(m.Session.SessionId, out var s) && ReferenceEquals(s.Connection, m.Connection)) s.AuthIds = m.AuthIds;
                break;
            case TickElapsed: OnTick(); break;
            case AppendCompleted m: OnAppendCompleted(m); break;
            case SnapshotWritten m: OnSnapshotWritten(m); break;
            case StatsQuery m: m.Reply.TrySetResult(Stats()); break;
            case WatchReportQuery m: m.Reply.TrySetResult(WatchReport()); break;
            case SessionReportQuery m: m.Reply.TrySetResult(SessionReport()); break;
        }
    }

    protected override void OnMailboxDrained() => FlushBatch();

    protected override void OnFailure(Exception error)
    {
        LogFatal(_log, error);
        foreach (var s in _sessions.Values) s.Actor.Tell(new EndSession("server stopped: " + error.Message));
        _failed.TrySetResult();
        Stop();
    }

    private CoreStats Stats() => new(
        _tree.LastAppliedZxid, _tree.NodeCount, _watches.Count, _watches.PathCount, _watches.WatcherCount,
        _sessions.Count, _tree.EphemeralCount, _tree.ApproximateDataSize,
        _unapplied.Count + _sessions.Values.Sum(s => s.Held.Count), _expiredSessions);

    private WatchReport WatchReport() => new(
        _watches.Watchers().Select(w => (w, _watches.PathsOf(w))).ToList(),
        _watches.ByPath().ToList());

    private SessionReport SessionReport() => new(
        _expiry.Buckets().ToList(),
        _sessions.Keys.Order().Select(id => (id, (IReadOnlyList<string>)_tree.EphemeralsOf(id).Order(StringComparer.Ordinal).ToList()))
            .Where(e => e.Item2.Count > 0).ToList());

    [LoggerMessage(EventId = 1000, Level = LogLevel.Critical, Message = "Sequencer stopped: it can no longer persist or keep its invariants")]
    private static partial void LogFatal(ILogger log, Exception error);
}

using Akka.Actor;
using Coord.Actors.Applier;
using Coord.Actors.Core;
using Coord.Actors.Journal;
using Coord.Actors.Replication;
using Coord.Actors.Txns;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Ensemble;

/// <summary>Tells the replication actor that this many of its persist effects, the oldest ones, are durable.</summary>
public sealed record PersistedOps(int Count);

/// <summary>A message for the applier that must not overtake an earlier tree change (truncate, snapshot install).</summary>
public sealed record ToApplier(object Message);

/// <summary>
/// The journal hop of an ensemble member: carries out the replication core's persist effects in the order given
/// (appends, epochs, truncations, snapshot installs), one at a time, consecutive appends in one fsync (group
/// commit), and answers <see cref="PersistedOps"/> once each is durable. Messages for the applier (committed txns,
/// serving changes) pass through here so none overtakes a tree change ahead of it; they do not wait for appends.
/// A failed persist is fatal (the guardian stops the server): nothing after it may be acknowledged.
/// </summary>
public sealed partial class ReplicaJournalActor : ReceiveActor
{
    private readonly IJournal _journal;
    private readonly SnapshotStore? _snapshots;
    private readonly IActorRef _applier;
    private readonly TreeHolder _tree;
    private readonly CoreCounters _counters;
    private readonly ILogger _log;
    private readonly Queue<ReplicationEffect> _persists = new();
    private readonly Queue<(long Barrier, object Message)> _forApplier = new();
    private IActorRef _replication = ActorRefs.Nobody;
    private bool _inFlight;
    private long _treeOpsQueued;
    private long _treeOpsDone;
    // SNAP: the snapshot whose pieces are arriving, and the finished ones whose InstallSnapshot waits in _persists, in order.
    private SnapshotReceiver? _receiving;
    private readonly Queue<SnapshotReceiver> _installs = new();
    private int _installsUnfinished; // queued or running

    public ReplicaJournalActor(IJournal journal, SnapshotStore? snapshots, IActorRef applier, TreeHolder tree, CoreCounters counters, ILogger log)
    {
        _journal = journal;
        _snapshots = snapshots;
        _applier = applier;
        _tree = tree;
        _counters = counters;
        _log = log;
        Receive<ReplicaJournalWiring>(m => _replication = m.Replication);
        Receive<SnapshotPiece>(OnSnapshotPiece);
        Receive<SnapshotAbandoned>(_ =>
        {
            _receiving?.Abandon();
            _receiving = null;
        });
        Receive<ReplicationEffect>(e =>
        {
            if (e is InstallSnapshot i)
            {
                _installs.Enqueue(TakeReceiver(i));
                _installsUnfinished++;
            }
            if (e is TruncateLog or InstallSnapshot) _treeOpsQueued++;
            _persists.Enqueue(e);
            Pump();
        });
        Receive<ToApplier>(m =>
        {
            if (_treeOpsDone == _treeOpsQueued && _forApplier.Count == 0) _applier.Tell(m.Message);
            else _forApplier.Enqueue((_treeOpsQueued, m.Message));
        });
        Receive<Done>(OnDone);
        Receive<PurgeThrough>(m =>
        {
            var purge = _journal.PurgeThroughAsync(m.Zxid);
            if (!purge.IsCompletedSuccessfully)
                purge.AsTask().ContinueWith(t => { if (t.Exception is { } ex) LogPurgeFailed(_log, m.Zxid, ex.GetBaseException()); },
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        });
        Receive<JournalStatusQuery>(_ => Sender.Tell(new JournalStatus(_inFlight, _persists.Count)));
    }

    public static Props Props(IJournal journal, SnapshotStore? snapshots, IActorRef applier, TreeHolder tree, CoreCounters counters, ILogger log) =>
        Akka.Actor.Props.Create(() => new ReplicaJournalActor(journal, snapshots, applier, tree, counters, log)).WithDispatcher(CoreConfig.CoreDispatcherId);

    private sealed record Done(int Ops, bool TreeOp, Exception? Error, Tree.DataTree? Tree, bool Install = false);

    private void Pump()
    {
        if (_inFlight || _persists.Count == 0) return;
        _inFlight = true;
        var self = Self;
        var head = _persists.Peek();
        switch (head)
        {
            case AppendLog:
            {
                var batch = new List<SequencedTxn>();
                int ops = 0;
                while (_persists.Count > 0 && _persists.Peek() is AppendLog a)
                {
                    _persists.Dequeue();
                    batch.AddRange(a.Txns);
                    ops++;
                }
                _counters.JournalBatch(batch.Count);
                bool durable;
                try
                {
                    durable = _journal.Append(batch, error => self.Tell(new Done(ops, false, error, null)));
                }
                catch (Exception ex)
                {
                    throw new JournalFailedException($"journal append of {batch.Count} replicated txns was refused", ex);
                }
                if (durable) self.Tell(new Done(ops, false, null, null));
                return;
            }
            case PersistAcceptedEpoch e:
                _persists.Dequeue();
                Run(() => _journal.SetAcceptedEpochAsync(e.Epoch).AsTask(), false);
                return;
            case PersistCurrentEpoch e:
                _persists.Dequeue();
                Run(() => _journal.SetCurrentEpochAsync(e.Epoch).AsTask(), false);
                return;
            case TruncateLog t:
            {
                _persists.Dequeue();
                var store = _snapshots ?? throw new InvalidOperationException("an ensemble member needs a snapshot store");
                var journal = _journal;
                var log = _log;
                RunTree(install: false, async () =>
                {
                    // The journal keeps txns through the cut that are not committed yet; the tree takes only what was applied.
                    var cut = await Recovery.TruncateAfterAsync(store, journal, t.Zxid, log);
                    return cut.LastZxid <= t.TreeThroughZxid ? cut.Tree : Recovery.Rebuild(store, journal, t.TreeThroughZxid, log).Tree;
                });
                return;
            }
            case InstallSnapshot s:
            {
                _persists.Dequeue();
                var store = _snapshots!;
                var journal = _journal;
                var log = _log;
                var receiver = _installs.Dequeue();
                receiver.Start(); // every install before it is done
                RunTree(install: true, async () =>
                {
                    // Parsed and staged while the pieces arrived: the checked tree and the durable staged file; then the
                    // commit point (the journal reset) and the rest of the install.
                    var received = await receiver.FinishAsync();
                    return (await Recovery.InstallStagedAsync(store, journal, received.Staged, received.Tree, log)).Tree;
                });
                return;
            }
            default:
                throw new InvalidOperationException($"not a persist effect: {head}");
        }
    }

    /// <summary>
    /// A piece of the leader's snapshot: the first one starts a receiver (staging and parsing on background threads as the
    /// pieces come); it waits to start while an earlier install is queued or running, so two never stage at once.
    /// </summary>
    private void OnSnapshotPiece(SnapshotPiece p)
    {
        if (p.Index == 0)
        {
            _receiving?.Abandon();
            var store = _snapshots ?? throw new InvalidOperationException("an ensemble member needs a snapshot store");
            _receiving = new SnapshotReceiver(p.Zxid, p.Count, store, _log);
            if (_installsUnfinished == 0) _receiving.Start();
        }
        else if (_receiving is null || _receiving.Zxid != p.Zxid || _receiving.Count != p.Count)
            throw new InvalidOperationException($"{p} arrived without the pieces before it");
        _receiving.Add(p.Chunk);
    }

    private SnapshotReceiver TakeReceiver(InstallSnapshot i)
    {
        var r = _receiving;
        if (r is null || r.Zxid != i.Zxid || r.Count != i.Count) throw new InvalidOperationException($"{i} without its pieces");
        _receiving = null;
        return r;
    }

    protected override void PostStop()
    {
        _receiving?.Abandon();
        foreach (var r in _installs) r.Abandon();
        base.PostStop();
    }

    private void Run(Func<Task> work, bool treeOp)
    {
        var self = Self;
        Task.Run(work).ContinueWith(t => self.Tell(new Done(1, treeOp, t.Exception?.GetBaseException(), null)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void RunTree(bool install, Func<Task<Tree.DataTree>> work)
    {
        var self = Self;
        Task.Run(work).ContinueWith(t => self.Tell(t.IsCompletedSuccessfully
                ? new Done(1, true, null, t.Result, install)
                : new Done(1, true, t.Exception?.GetBaseException(), null, install)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnDone(Done m)
    {
        _inFlight = false;
        if (m.Error is not null) throw new JournalFailedException("persisting replicated state failed; nothing after it is acknowledged", m.Error);
        if (m.TreeOp)
        {
            _tree.Tree = m.Tree!;
            _applier.Tell(new ReplaceTree(m.Tree!));
            _treeOpsDone++;
            while (_forApplier.Count > 0 && _forApplier.Peek().Barrier <= _treeOpsDone) _applier.Tell(_forApplier.Dequeue().Message);
            if (m.Install && --_installsUnfinished == 0) _receiving?.Start();
        }
        _replication.Tell(new PersistedOps(m.Ops));
        Pump();
    }

    [LoggerMessage(EventId = 1502, Level = LogLevel.Error, Message = "Journal purge through 0x{Zxid:x} failed")]
    private static partial void LogPurgeFailed(ILogger log, long zxid, Exception error);
}

/// <summary>Tells the replica journal where to report durability.</summary>
public sealed record ReplicaJournalWiring(IActorRef Replication);

/// <summary>
/// The member's current tree, for the sequencer a new leader starts: sync may replace the applier's tree (on the
/// core dispatcher, like every reader of this), and the replica journal records the replacement here.
/// </summary>
public sealed class TreeHolder(Tree.DataTree tree)
{
    public Tree.DataTree Tree { get; set; } = tree;
}

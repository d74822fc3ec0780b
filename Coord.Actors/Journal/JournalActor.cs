using System.Diagnostics;
using Akka.Actor;
using Coord.Actors.Applier;
using Coord.Actors.Core;
using Coord.Actors.Txns;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Journal;

/// <summary>Txns to make durable, in zxid order; <see cref="EpochStarts"/> (index, epoch) are persisted before the txn at that index.</summary>
public sealed record AppendTxns(IReadOnlyList<SequencedTxn> Txns, IReadOnlyList<(int BeforeIndex, long Epoch)>? EpochStarts = null)
{
    public override string ToString() => $"append {Txns.Count} txns";
}

/// <summary>Drop journal entries through <see cref="Zxid"/> (a snapshot covers them).</summary>
public sealed record PurgeThrough(long Zxid);

/// <summary>Asks the journal actor for its <see cref="JournalStatus"/> (answered to the sender).</summary>
public sealed record JournalStatusQuery
{
    public static readonly JournalStatusQuery Instance = new();
}

/// <summary>Whether an append is in flight, and how many txns wait for the next one.</summary>
public sealed record JournalStatus(bool AppendInFlight, int QueuedTxns);

/// <summary>
/// The journal hop of the write path: Sequencer → <b>Journal</b> → Applier. Keeps exactly one append in flight;
/// txns that arrive meanwhile wait and form the next batch, so the batch grows with the fsync time (group commit).
/// Once a batch is durable it is told to <c>commitTo</c> (standalone: the applier; in an ensemble, the replication
/// that counts acknowledgements) straight from the journal's writer thread, then this actor starts the next
/// append. An append that fails is fatal: nothing after it may be acknowledged, so the actor throws and the core
/// guardian stops the server.
/// </summary>
public sealed partial class JournalActor : ReceiveActor
{
    private readonly IJournal _journal;
    private readonly IActorRef _commitTo;
    private readonly CoreCounters _counters;
    private readonly ILogger _log;
    private readonly List<SequencedTxn> _queued = new();
    private List<(int BeforeIndex, long Epoch)>? _queuedEpochs;
    private bool _inFlight;
    private long _lastQueuedZxid;

    /// <summary>When the oldest txn now queued arrived (a <see cref="Stopwatch"/> timestamp), for the group-commit wait.</summary>
    private long _oldestQueuedTs;

    public JournalActor(IJournal journal, IActorRef commitTo, CoreCounters counters, ILogger log)
    {
        _journal = journal;
        _commitTo = commitTo;
        _counters = counters;
        _log = log;
        _lastQueuedZxid = journal.LastDurableZxid;
        Receive<AppendTxns>(OnAppend);
        Receive<AppendDone>(OnAppendDone);
        Receive<PurgeThrough>(OnPurge);
        Receive<JournalStatusQuery>(_ => Sender.Tell(new JournalStatus(_inFlight, _queued.Count)));
    }

    public static Props Props(IJournal journal, IActorRef commitTo, CoreCounters counters, ILogger log) =>
        Akka.Actor.Props.Create(() => new JournalActor(journal, commitTo, counters, log)).WithDispatcher(CoreConfig.CoreDispatcherId);

    private sealed record AppendDone(long ThroughZxid, Exception? Error);

    private void OnAppend(AppendTxns m)
    {
        if (m.EpochStarts is { Count: > 0 } starts)
        {
            _queuedEpochs ??= new();
            foreach (var (index, epoch) in starts) _queuedEpochs.Add((_queued.Count + index, epoch));
        }
        foreach (var txn in m.Txns)
        {
            if (txn.Header.Zxid <= _lastQueuedZxid)
                throw new InvalidOperationException($"txn 0x{txn.Header.Zxid:x} is not after 0x{_lastQueuedZxid:x}: the sequencer broke zxid order");
            _lastQueuedZxid = txn.Header.Zxid;
        }
        if (_queued.Count == 0) _oldestQueuedTs = Stopwatch.GetTimestamp();
        _queued.AddRange(m.Txns);
        if (!_inFlight) StartAppends();
    }

    private void OnAppendDone(AppendDone m)
    {
        _inFlight = false;
        if (m.Error is not null)
            throw new JournalFailedException(m.ThroughZxid == 0
                ? "persisting a new epoch failed; nothing after it is acknowledged"
                : $"journal append through zxid 0x{m.ThroughZxid:x} failed; nothing after it is acknowledged", m.Error);
        StartAppends();
    }

    /// <summary>
    /// Appends what is queued, one batch at a time; loops while the journal answers synchronously (in-memory).
    /// A batch that begins a new epoch (a counter rollover) waits until the epoch is persisted as accepted and
    /// current, so the journal never holds a txn of an epoch its metadata does not know.
    /// </summary>
    private void StartAppends()
    {
        while (_queued.Count > 0 && !_inFlight)
        {
            int take = _queued.Count;
            if (_queuedEpochs is { Count: > 0 } epochs)
            {
                var (index, epoch) = epochs[0];
                if (index == 0)
                {
                    epochs.RemoveAt(0);
                    if (epochs.Count == 0) _queuedEpochs = null;
                    PersistEpoch(epoch);
                    return;
                }
                take = index; // the txns before the new epoch go first
            }
            var batch = new SequencedTxn[take];
            _queued.CopyTo(0, batch, 0, take);
            _queued.RemoveRange(0, take);
            if (_queuedEpochs is not null)
                for (int i = 0; i < _queuedEpochs.Count; i++) _queuedEpochs[i] = (_queuedEpochs[i].BeforeIndex - take, _queuedEpochs[i].Epoch);
            long through = batch[^1].Header.Zxid;
            _counters.JournalBatch(batch.Length);
            _inFlight = true;
            var self = Self;
            var commitTo = _commitTo;
            var counters = _counters;
            long queuedSince = _oldestQueuedTs, appendStart = Stopwatch.GetTimestamp();
            bool durable;
            try
            {
                // The journal calls back from its writer thread right after the commit: the applier hears first.
                durable = _journal.Append(batch, error =>
                {
                    if (error is null)
                    {
                        commitTo.Tell(new Committed(batch));
                        counters.BatchDurable(batch.Length, appendStart, queuedSince);
                    }
                    self.Tell(new AppendDone(through, error));
                });
            }
            catch (Exception ex)
            {
                throw new JournalFailedException($"journal append through zxid 0x{through:x} was refused", ex);
            }
            if (!durable) return;
            _inFlight = false;
            commitTo.Tell(new Committed(batch));
            counters.BatchDurable(batch.Length, appendStart, queuedSince);
        }
    }

    /// <summary>A counter rollover began a new epoch: accepted, then current, each durable, before any txn of it.</summary>
    private void PersistEpoch(long epoch)
    {
        LogEpochStarted(_log, epoch);
        _inFlight = true;
        var self = Self;
        var journal = _journal;
        Task.Run(async () =>
        {
            await journal.SetAcceptedEpochAsync(epoch);
            await journal.SetCurrentEpochAsync(epoch);
        }).ContinueWith(t => self.Tell(new AppendDone(0, t.Exception?.GetBaseException())),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnPurge(PurgeThrough m)
    {
        var purge = _journal.PurgeThroughAsync(m.Zxid);
        if (purge.IsCompletedSuccessfully) return;
        var log = _log;
        purge.AsTask().ContinueWith(t => { if (t.Exception is { } ex) LogPurgeFailed(log, m.Zxid, ex.GetBaseException()); },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    [LoggerMessage(EventId = 1502, Level = LogLevel.Error, Message = "Journal purge through 0x{Zxid:x} failed")]
    private static partial void LogPurgeFailed(ILogger log, long zxid, Exception error);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Warning, Message = "Journal: epoch {Epoch} begins (zxid counter rollover); persisted as accepted and current before its first txn")]
    private static partial void LogEpochStarted(ILogger log, long epoch);
}

/// <summary>The journal could not persist: a fatal condition for the server.</summary>
public sealed class JournalFailedException(string message, Exception? inner = null) : IOException(message, inner);

using System.Diagnostics;

namespace Coord.Actors.Core;

/// <summary>
/// Counters the core keeps for mntr, metrics and benchmarks; thread-safe, cheap (one interlocked add each). Timings
/// per journal batch go to an observer the host may set (its Prometheus histograms); none is kept here.
/// </summary>
public sealed class CoreCounters
{
    /// <summary>ZooKeeper's fsync.warningthresholdms default: a slower append counts in <see cref="SlowAppends"/>.</summary>
    public static readonly TimeSpan SlowAppendThreshold = TimeSpan.FromSeconds(1);

    private long _journalBatches;
    private long _journalTxns;
    private long _slowAppends;
    private Action<JournalBatchDurable>? _batchObserver;

    public long JournalBatches => Interlocked.Read(ref _journalBatches);
    public long JournalTxns => Interlocked.Read(ref _journalTxns);

    /// <summary>Journal batches whose write and fsync took longer than <see cref="SlowAppendThreshold"/> (ZooKeeper's
    /// fsync_threshold_exceed_count).</summary>
    public long SlowAppends => Interlocked.Read(ref _slowAppends);

    public void JournalBatch(int txns)
    {
        Interlocked.Increment(ref _journalBatches);
        Interlocked.Add(ref _journalTxns, txns);
    }

    /// <summary>
    /// Sets who hears of every journal batch made durable. It is called on the journal's writer thread right after
    /// the commit, so it must be quick and must not block (an interlocked histogram update is what it is for).
    /// </summary>
    public void ObserveBatches(Action<JournalBatchDurable>? observer) => Volatile.Write(ref _batchObserver, observer);

    /// <summary>A batch of <paramref name="txns"/> is durable: its append began at <paramref name="appendStartTs"/>, and
    /// its oldest txn reached the journal at <paramref name="oldestQueuedTs"/> (both <see cref="Stopwatch"/> timestamps).</summary>
    public void BatchDurable(int txns, long appendStartTs, long oldestQueuedTs)
    {
        long now = Stopwatch.GetTimestamp();
        var append = Stopwatch.GetElapsedTime(appendStartTs, now);
        if (append > SlowAppendThreshold) Interlocked.Increment(ref _slowAppends);
        if (Volatile.Read(ref _batchObserver) is not { } observer) return;
        observer(new JournalBatchDurable(txns, append, Stopwatch.GetElapsedTime(oldestQueuedTs, now)));
    }
}

/// <param name="Txns">Txns in the batch (the group commit's size).</param>
/// <param name="Append">The append itself: write and fsync (ZooKeeper's fsynctime).</param>
/// <param name="OldestWait">From the oldest txn of the batch reaching the journal to the batch being durable: the
/// longest a write of this batch waited for the group commit (the previous append in flight, then its own).</param>
public readonly record struct JournalBatchDurable(int Txns, TimeSpan Append, TimeSpan OldestWait);

namespace Coord.Actors.Core;

/// <summary>Counters the core keeps for mntr and benchmarks; thread-safe, cheap (one interlocked add each).</summary>
public sealed class CoreCounters
{
    private long _journalBatches;
    private long _journalTxns;

    public long JournalBatches => Interlocked.Read(ref _journalBatches);
    public long JournalTxns => Interlocked.Read(ref _journalTxns);

    public void JournalBatch(int txns)
    {
        Interlocked.Increment(ref _journalBatches);
        Interlocked.Add(ref _journalTxns, txns);
    }
}

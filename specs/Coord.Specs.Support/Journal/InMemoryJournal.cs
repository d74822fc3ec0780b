using Coord.Actors.Journal;
using Coord.Actors.Txns;

namespace Coord.Specs.Support;

/// <summary>
/// Keeps the most recent txns in memory; appends complete synchronously. For specs and benchmarks that
/// want the sequencer without a disk (the server always runs on <see cref="SqliteJournal"/>). It keeps a
/// bounded window (<see cref="TxnsRetainedMax"/>) rather than every txn ever written; txns that fall out
/// of the window count as purged. Nothing survives the process. Held to the same contract as the durable
/// journal by the JournalConformance suite.
/// </summary>
public sealed class InMemoryJournal(int txnsRetainedMax = InMemoryJournal.TxnsRetainedMaxDefault) : IJournal
{
    public const int TxnsRetainedMaxDefault = 100_000;

    private readonly LinkedList<SequencedTxn> _txns = new();
    private readonly Lock _gate = new();
    private long _last;
    private long _purgedThroughZxid;
    private long _acceptedEpoch;
    private long _currentEpoch;

    public int TxnsRetainedMax { get; } = txnsRetainedMax > 0 ? txnsRetainedMax : throw new ArgumentOutOfRangeException(nameof(txnsRetainedMax));
    public long LastDurableZxid { get { lock (_gate) return _last; } }
    public long FirstZxid { get { lock (_gate) return _txns.First?.Value.Header.Zxid ?? 0; } }
    public int Count { get { lock (_gate) return _txns.Count; } }
    public long AcceptedEpoch { get { lock (_gate) return _acceptedEpoch; } }
    public long CurrentEpoch { get { lock (_gate) return _currentEpoch; } }

    public ValueTask AppendAsync(IReadOnlyList<SequencedTxn> batch, CancellationToken ct = default)
    {
        lock (_gate)
        {
            JournalOrder.CheckBatch(batch, _last);
            foreach (var txn in batch) _txns.AddLast(txn);
            if (batch.Count > 0) _last = batch[^1].Header.Zxid;
            while (_txns.Count > TxnsRetainedMax) DropFirst();
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Txns after <paramref name="afterZxid"/>; asking for ones no longer retained is an error, not a gap.</summary>
    public IEnumerable<SequencedTxn> ReadAfter(long afterZxid)
    {
        lock (_gate)
        {
            JournalOrder.CheckReadable(afterZxid, _purgedThroughZxid);
            return _txns.Where(t => t.Header.Zxid > afterZxid).ToList();
        }
    }

    public ValueTask TruncateAfterAsync(long zxid, CancellationToken ct = default)
    {
        lock (_gate)
        {
            JournalOrder.CheckTruncate(zxid, _purgedThroughZxid);
            while (_txns.Last is { } tail && tail.Value.Header.Zxid > zxid) _txns.RemoveLast();
            _last = Math.Min(_last, _txns.Last?.Value.Header.Zxid ?? _purgedThroughZxid);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask PurgeThroughAsync(long zxid, CancellationToken ct = default)
    {
        lock (_gate)
        {
            JournalOrder.CheckPurge(zxid, _last);
            while (_txns.First is { } head && head.Value.Header.Zxid <= zxid) DropFirst();
            _purgedThroughZxid = Math.Max(_purgedThroughZxid, zxid);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask ResetToAsync(long zxid, CancellationToken ct = default)
    {
        lock (_gate)
        {
            JournalOrder.CheckReset(zxid);
            _txns.Clear();
            _last = _purgedThroughZxid = zxid;
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask SetAcceptedEpochAsync(long epoch, CancellationToken ct = default)
    {
        lock (_gate)
        {
            JournalOrder.CheckAcceptedEpoch(epoch, _acceptedEpoch);
            _acceptedEpoch = epoch;
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask SetCurrentEpochAsync(long epoch, CancellationToken ct = default)
    {
        lock (_gate)
        {
            JournalOrder.CheckCurrentEpoch(epoch, _currentEpoch, _acceptedEpoch);
            _currentEpoch = epoch;
        }
        return ValueTask.CompletedTask;
    }

    private void DropFirst()
    {
        _purgedThroughZxid = Math.Max(_purgedThroughZxid, _txns.First!.Value.Header.Zxid);
        _txns.RemoveFirst();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

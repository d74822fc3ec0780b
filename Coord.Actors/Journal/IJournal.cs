using Coord.Actors.Txns;

namespace Coord.Actors.Journal;

/// <summary>
/// The durable, ordered log of committed txns (event sourcing: the tree is a fold over it).
/// Contract: batches are appended in strictly increasing zxid order; the task of <see cref="AppendAsync"/>
/// completes only when every txn of the batch is durable, and a write is acknowledged to its client only
/// after that. The caller keeps at most one append in flight, so a slow fsync naturally groups the txns
/// that arrive meanwhile into the next batch (group commit). A failed append faults the task; after
/// that the journal accepts nothing more.
/// </summary>
public interface IJournal : IAsyncDisposable
{
    ValueTask AppendAsync(IReadOnlyList<SequencedTxn> batch, CancellationToken ct = default);

    /// <summary>Highest zxid known durable (0 when empty).</summary>
    long LastDurableZxid { get; }

    /// <summary>Txns with zxid greater than <paramref name="afterZxid"/>, in order (recovery).</summary>
    IEnumerable<SequencedTxn> ReadAfter(long afterZxid);
}

/// <summary>
/// Keeps the most recent txns in memory; appends complete synchronously. The default until the durable
/// journal lands: a standalone server without persistence has no recovery to read it for, so it keeps a
/// bounded window (<see cref="TxnsRetainedMax"/>) rather than every txn ever written.
/// </summary>
public sealed class InMemoryJournal(int txnsRetainedMax = InMemoryJournal.TxnsRetainedMaxDefault) : IJournal
{
    public const int TxnsRetainedMaxDefault = 100_000;

    private readonly Queue<SequencedTxn> _txns = new();
    private readonly Lock _gate = new();
    private long _last;
    private long _firstRetainedZxid;

    public int TxnsRetainedMax { get; } = txnsRetainedMax > 0 ? txnsRetainedMax : throw new ArgumentOutOfRangeException(nameof(txnsRetainedMax));
    public long LastDurableZxid { get { lock (_gate) return _last; } }
    public int Count { get { lock (_gate) return _txns.Count; } }

    public ValueTask AppendAsync(IReadOnlyList<SequencedTxn> batch, CancellationToken ct = default)
    {
        lock (_gate)
        {
            foreach (var txn in batch)
            {
                if (txn.Header.Zxid <= _last)
                    throw new InvalidOperationException($"journal append out of order: zxid 0x{txn.Header.Zxid:x} after 0x{_last:x}");
                _txns.Enqueue(txn);
                _last = txn.Header.Zxid;
            }
            while (_txns.Count > TxnsRetainedMax) _firstRetainedZxid = _txns.Dequeue().Header.Zxid + 1;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Txns after <paramref name="afterZxid"/>; asking for ones no longer retained is an error, not a gap.</summary>
    public IEnumerable<SequencedTxn> ReadAfter(long afterZxid)
    {
        lock (_gate)
        {
            if (_firstRetainedZxid > 0 && afterZxid + 1 < _firstRetainedZxid)
                throw new InvalidOperationException(
                    $"txns after 0x{afterZxid:x} are no longer retained (oldest kept: 0x{_firstRetainedZxid:x})");
            return _txns.Where(t => t.Header.Zxid > afterZxid).ToList();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

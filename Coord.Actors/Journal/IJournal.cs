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

/// <summary>Keeps txns in memory; appends complete synchronously. The default until the durable journal lands.</summary>
public sealed class InMemoryJournal : IJournal
{
    private readonly List<SequencedTxn> _txns = new();
    private readonly Lock _gate = new();
    private long _last;

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
                _txns.Add(txn);
                _last = txn.Header.Zxid;
            }
        }
        return ValueTask.CompletedTask;
    }

    public IEnumerable<SequencedTxn> ReadAfter(long afterZxid)
    {
        lock (_gate) return _txns.Where(t => t.Header.Zxid > afterZxid).ToList();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

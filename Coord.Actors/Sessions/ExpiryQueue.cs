namespace Coord.Actors.Sessions;

/// <summary>
/// Session expiry in tick-sized buckets (ZooKeeper's ExpiryQueue). A touch moves a session to the bucket
/// that ends at the first interval boundary after now + timeout, so a session expires between
/// timeout and timeout + interval after its last packet. Pure: time is passed in.
/// </summary>
public sealed class ExpiryQueue(int intervalMs)
{
    private readonly Dictionary<long, long> _expiryOf = new();
    private readonly SortedDictionary<long, HashSet<long>> _buckets = new();

    public int IntervalMs { get; } = intervalMs > 0 ? intervalMs : throw new ArgumentOutOfRangeException(nameof(intervalMs));
    public int Count => _expiryOf.Count;

    private long RoundUp(long ms) => (ms / IntervalMs + 1) * IntervalMs;

    /// <summary>Records activity; returns the new expiry time.</summary>
    public long Touch(long id, int timeoutMs, long nowMs)
    {
        long at = RoundUp(nowMs + timeoutMs);
        if (_expiryOf.TryGetValue(id, out var old))
        {
            if (old == at) return at;
            RemoveFromBucket(id, old);
        }
        _expiryOf[id] = at;
        if (!_buckets.TryGetValue(at, out var set)) _buckets[at] = set = new HashSet<long>();
        set.Add(id);
        return at;
    }

    public void Remove(long id)
    {
        if (_expiryOf.Remove(id, out var at)) RemoveFromBucket(id, at);
    }

    private void RemoveFromBucket(long id, long at)
    {
        if (_buckets.TryGetValue(at, out var set) && set.Remove(id) && set.Count == 0) _buckets.Remove(at);
    }

    /// <summary>Removes and returns (ordered by id) the sessions whose bucket has ended at <paramref name="nowMs"/>.</summary>
    public IReadOnlyList<long> Expire(long nowMs)
    {
        List<long>? expired = null;
        while (_buckets.Count > 0)
        {
            var first = _buckets.First();
            if (first.Key > nowMs) break;
            _buckets.Remove(first.Key);
            foreach (var id in first.Value) { _expiryOf.Remove(id); (expired ??= []).Add(id); }
        }
        if (expired is null) return [];
        expired.Sort();
        return expired;
    }

    /// <summary>Sessions grouped by expiry time, for the dump four-letter word.</summary>
    public IEnumerable<(long ExpiresAtMs, IReadOnlyList<long> Sessions)> Buckets() =>
        _buckets.Select(b => (b.Key, (IReadOnlyList<long>)b.Value.Order().ToList()));
}

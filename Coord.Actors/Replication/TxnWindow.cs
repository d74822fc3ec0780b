using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Replication;

/// <summary>
/// The replication core's log window: a run of txns in strictly increasing zxid order, indexed from 0 (the oldest
/// held). The newest entries are kept as the objects they came as; older ones, once the core says they may be
/// (<see cref="Freeze"/>: committed and applied, needed again only to sync a learner by DIFF), are kept encoded
/// (<see cref="TxnCodec"/>, the journal's format) in large shared buffers and decoded when read.
/// </summary>
/// <remarks>
/// Why: the window holds ~100,000 txns so a learner a few seconds behind still syncs by DIFF. Kept as objects, every
/// txn (a header, a body, a path, its data: four or five objects) outlived two collections and died in gen2: under
/// a sustained write load each member ran a gen2 every second or two and spent ~7% of its time paused. Encoded, the
/// frozen part is a few megabyte-sized arrays on the large object heap that no collection copies or walks into,
/// and the objects die young (measured under the Java client's set 16x64 on three members: no gen1 or gen2
/// collection left under load, the leader's GC pause time about halved). Pure: no I/O, clock or randomness.
/// </remarks>
public sealed class TxnWindow
{
    /// <summary>
    /// Entries kept as objects behind the newest before <see cref="Freeze"/> encodes older ones: a few milliseconds of
    /// writes under load, so they die before a gen0 collection would promote them (4,096, about 100 ms at 40,000
    /// writes/s, made every collection a gen1 and let some reach gen2 still).
    /// </summary>
    public const int HotTxnsDefault = 256;

    /// <summary>Size of one buffer of encoded txns (a txn larger than that gets a buffer of its own size).</summary>
    public const int ChunkBytes = 1 << 20;

    private readonly int _hotTxns;
    private readonly JuteWriter _writer = new(512);

    // Ring buffers, one slot per entry, capacity a power of two: entry i lives at (_head + i) & (capacity - 1).
    private long[] _zxids = new long[16];
    private SequencedTxn?[] _objects = new SequencedTxn?[16];
    private int[] _chunkOf = new int[16];   // frozen entries: the sequence number of the buffer holding it
    private int[] _offset = new int[16];    // frozen entries: where in that buffer
    private int[] _length = new int[16];    // frozen entries: how many bytes
    private int _head;
    private int _count;
    private int _frozen; // entries [0, _frozen) are encoded, [_frozen, _count) are objects

    // Buffers of encoded entries, oldest first; _chunks[0] has sequence number _firstChunkSeq.
    private readonly List<byte[]> _chunks = [];
    private int _firstChunkSeq;
    private int _fill; // bytes used in the newest buffer

    public TxnWindow(int hotTxns = HotTxnsDefault) =>
        _hotTxns = hotTxns >= 0 ? hotTxns : throw new ArgumentOutOfRangeException(nameof(hotTxns));

    public int Count => _count;

    /// <summary>Entries held encoded (the oldest ones).</summary>
    public int FrozenCount => _frozen;

    /// <summary>Bytes of the buffers holding encoded entries (for status and specs).</summary>
    public long EncodedBytes => _chunks.Sum(c => (long)c.Length);

    private int Mask => _zxids.Length - 1;

    public long ZxidAt(int index)
    {
        if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
        return _zxids[(_head + index) & Mask];
    }

    /// <summary>Appends the newest entry; its zxid must be above the last one's.</summary>
    public void Add(SequencedTxn txn)
    {
        long zxid = txn.Header.Zxid;
        if (_count > 0 && zxid <= ZxidAt(_count - 1))
            throw new InvalidOperationException($"txn 0x{zxid:x} is not after the window's last 0x{ZxidAt(_count - 1):x}");
        if (_count == _zxids.Length) Grow();
        int slot = (_head + _count) & Mask;
        _zxids[slot] = zxid;
        _objects[slot] = txn;
        _count++;
    }

    /// <summary>Index of the first entry with zxid greater than <paramref name="zxid"/> (<see cref="Count"/> if none).</summary>
    public int FirstAfter(long zxid)
    {
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ZxidAt(mid) <= zxid) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>Index of the entry with exactly this zxid, or -1.</summary>
    public int IndexOf(long zxid)
    {
        int i = FirstAfter(zxid) - 1;
        return i >= 0 && ZxidAt(i) == zxid ? i : -1;
    }

    /// <summary>Entries [<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/>), frozen ones decoded afresh.</summary>
    public List<SequencedTxn> GetRange(int from, int count)
    {
        if (from < 0 || count < 0 || from > _count - count) throw new ArgumentOutOfRangeException(nameof(from), $"range {from}+{count} of {_count}");
        var list = new List<SequencedTxn>(count);
        for (int i = from; i < from + count; i++) list.Add(Get(i));
        return list;
    }

    private SequencedTxn Get(int index)
    {
        int slot = (_head + index) & Mask;
        if (_objects[slot] is { } txn) return txn;
        var chunk = _chunks[_chunkOf[slot] - _firstChunkSeq];
        return TxnCodec.Read(chunk.AsSpan(_offset[slot], _length[slot]));
    }

    /// <summary>Drops the oldest <paramref name="n"/> entries.</summary>
    public void RemoveFront(int n)
    {
        if ((uint)n > (uint)_count) throw new ArgumentOutOfRangeException(nameof(n));
        for (int i = 0; i < n; i++) _objects[(_head + i) & Mask] = null;
        _head = (_head + n) & Mask;
        _count -= n;
        _frozen = Math.Max(0, _frozen - n);
        if (_frozen == 0) DropChunks();
        else
        {
            // Buffers wholly before the oldest frozen entry's are no longer read.
            int keepFrom = _chunkOf[_head] - _firstChunkSeq;
            if (keepFrom > 0)
            {
                _chunks.RemoveRange(0, keepFrom);
                _firstChunkSeq += keepFrom;
            }
        }
    }

    /// <summary>Drops every entry from <paramref name="index"/> on (the newest ones).</summary>
    public void RemoveFrom(int index)
    {
        if ((uint)index > (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
        for (int i = index; i < _count; i++) _objects[(_head + i) & Mask] = null;
        _count = index;
        if (_frozen > index)
        {
            _frozen = index;
            if (_frozen == 0) DropChunks();
            else
            {
                // Later entries are appended behind the last frozen one kept; buffers after its own go.
                int last = (_head + _frozen - 1) & Mask;
                int keep = _chunkOf[last] - _firstChunkSeq + 1;
                _chunks.RemoveRange(keep, _chunks.Count - keep);
                _fill = _offset[last] + _length[last];
            }
        }
    }

    public void Clear() => RemoveFrom(0);

    /// <summary>
    /// Encodes entries older than the newest <see cref="HotTxnsDefault"/> (the constructor's count) that lie before
    /// <paramref name="before"/>, the index the caller no longer needs as objects (committed and applied).
    /// </summary>
    public void Freeze(int before)
    {
        int upTo = Math.Min(before, _count - _hotTxns);
        for (; _frozen < upTo; _frozen++)
        {
            int slot = (_head + _frozen) & Mask;
            _writer.Reset();
            TxnCodec.Write(_writer, _objects[slot]!);
            var bytes = _writer.WrittenSpan;
            if (_chunks.Count == 0 || _fill + bytes.Length > _chunks[^1].Length)
            {
                _chunks.Add(new byte[Math.Max(ChunkBytes, bytes.Length)]);
                _fill = 0;
            }
            bytes.CopyTo(_chunks[^1].AsSpan(_fill));
            _chunkOf[slot] = _firstChunkSeq + _chunks.Count - 1;
            _offset[slot] = _fill;
            _length[slot] = bytes.Length;
            _fill += bytes.Length;
            _objects[slot] = null;
        }
    }

    private void DropChunks()
    {
        _chunks.Clear();
        _firstChunkSeq = 0;
        _fill = 0;
    }

    private void Grow()
    {
        int capacity = _zxids.Length * 2;
        _zxids = Unwrap(_zxids, capacity);
        _objects = Unwrap(_objects, capacity);
        _chunkOf = Unwrap(_chunkOf, capacity);
        _offset = Unwrap(_offset, capacity);
        _length = Unwrap(_length, capacity);
        _head = 0;
    }

    private T[] Unwrap<T>(T[] ring, int capacity)
    {
        var grown = new T[capacity];
        int firstPart = Math.Min(_count, ring.Length - _head);
        Array.Copy(ring, _head, grown, 0, firstPart);
        Array.Copy(ring, 0, grown, firstPart, _count - firstPart);
        return grown;
    }
}

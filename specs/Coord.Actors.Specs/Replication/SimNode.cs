using Coord.Actors.Replication;
using Coord.Actors.Txns;

namespace Coord.Actors.Specs.Replication;

/// <summary>An invariant the simulator saw broken (or the core threw): fails the schedule.</summary>
internal sealed class SimViolation(string check, string detail) : Exception($"{check}: {detail}")
{
    public string Check { get; } = check;
}

/// <summary>
/// A sequence of txns from the empty state (a tree's applied txns, a journal's history, the reference) with the
/// digest of every prefix, so "the tree equals a replay of the committed log" is one comparison at any length.
/// <see cref="Agree"/> caches how many leading entries are known to equal the reference (the reference only grows).
/// </summary>
internal sealed class SimHistory
{
    private const ulong Empty = 0xcbf29ce484222325;
    private readonly List<SequencedTxn> _txns = new();
    private readonly List<ulong> _digests = new();

    public int Agree;
    public int Count => _txns.Count;
    public SequencedTxn this[int i] => _txns[i];
    public long LastZxid => _txns.Count > 0 ? _txns[^1].Header.Zxid : 0;
    public ulong DigestAt(int length) => length == 0 ? Empty : _digests[length - 1];
    public IReadOnlyList<SequencedTxn> Txns => _txns;

    /// <summary>One step of the state machine: an order-dependent fold over (zxid, write id).</summary>
    private static ulong Fold(ulong state, SequencedTxn t)
    {
        ulong x = state ^ (ulong)t.Header.Zxid;
        x *= 0x100000001b3;
        x ^= (ulong)(uint)t.Header.Cxid << 17;
        x *= 0x9E3779B97F4A7C15;
        return x ^ (x >> 29);
    }

    public void Add(SequencedTxn t)
    {
        _digests.Add(Fold(DigestAt(_txns.Count), t));
        _txns.Add(t);
    }

    /// <summary>Drops every entry after <paramref name="zxid"/>; returns the index of the first dropped (or Count).</summary>
    public int CutAfter(long zxid)
    {
        int keep = FirstAfter(zxid);
        int first = keep;
        _txns.RemoveRange(keep, _txns.Count - keep);
        _digests.RemoveRange(keep, _digests.Count - keep);
        Agree = Math.Min(Agree, keep);
        return first;
    }

    public void Clear()
    {
        _txns.Clear();
        _digests.Clear();
        Agree = 0;
    }

    public void ReplaceWith(IReadOnlyList<SequencedTxn> txns)
    {
        Clear();
        foreach (var t in txns) Add(t);
    }

    /// <summary>Index of the first entry whose zxid is above <paramref name="zxid"/>.</summary>
    public int FirstAfter(long zxid)
    {
        int lo = 0, hi = _txns.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_txns[mid].Header.Zxid <= zxid) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    public List<SequencedTxn> Range(int from) => _txns.GetRange(from, _txns.Count - from);

    public static bool Same(SequencedTxn a, SequencedTxn b) => a.Header.Zxid == b.Header.Zxid && a.Header.Cxid == b.Header.Cxid;

    /// <summary>Extends <see cref="Agree"/> against <paramref name="reference"/> as far as both go.</summary>
    public int AgreeWith(SimHistory reference)
    {
        int limit = Math.Min(Count, reference.Count);
        while (Agree < limit && Same(_txns[Agree], reference._txns[Agree])) Agree++;
        return Agree;
    }
}

/// <summary>The snapshot a leader takes: its applied txns at a zxid (immutable).</summary>
internal sealed record SimSnapshot(long Zxid, SequencedTxn[] Txns)
{
    public override string ToString() => $"snapshot at 0x{Zxid:x} ({Txns.Length} txns)";

    /// <summary>Cut into <paramref name="count"/> pieces in order (some may be empty), as the shell cuts its bytes.</summary>
    public IReadOnlyList<object> Split(int count)
    {
        var pieces = new object[count];
        for (int i = 0; i < count; i++)
        {
            int from = (int)((long)Txns.Length * i / count), to = (int)((long)Txns.Length * (i + 1) / count);
            pieces[i] = new SimSnapshotPiece(Zxid, i, Txns[from..to]);
        }
        return pieces;
    }

    /// <summary>The pieces a learner received joined back; a piece out of place or of another snapshot is a violation.</summary>
    public static SimSnapshot Join(long zxid, IReadOnlyList<object> chunks)
    {
        var txns = new List<SequencedTxn>();
        for (int i = 0; i < chunks.Count; i++)
        {
            if (chunks[i] is not SimSnapshotPiece p || p.Zxid != zxid || p.Index != i)
                throw new SimViolation("snapshot", $"piece {i} of the snapshot at 0x{zxid:x} is {chunks[i]}");
            txns.AddRange(p.Txns);
        }
        return new SimSnapshot(zxid, [.. txns]);
    }
}

/// <summary>
/// A leader's snapshot for a learner's link, handed to the core as the host's serializer would: announced, then its pieces
/// a few at a time over several schedule steps (the image is taken when the first step answers).
/// </summary>
internal sealed class SimSnapshotRequest(long member, long linkId)
{
    public long Member { get; } = member;
    public long LinkId { get; } = linkId;
    public SimSnapshot? Snapshot { get; set; }
    public IReadOnlyList<object>? Pieces { get; set; }
    public int Next { get; set; }
}

/// <summary>One piece of a <see cref="SimSnapshot"/>: what a SnapChunk carries in the simulator.</summary>
internal sealed record SimSnapshotPiece(long Zxid, int Index, SequencedTxn[] Txns)
{
    public override string ToString() => $"piece {Index} of the snapshot at 0x{Zxid:x} ({Txns.Length} txns)";
}

/// <summary>A write a learner forwards to the leader; the leader answers <see cref="SimWriteReply"/> after the commit.</summary>
internal sealed record SimForwardedWrite(int WriteId);

internal sealed record SimWriteReply(int WriteId, long Zxid);

/// <summary>
/// One member: durable storage (epochs, snapshot, journal), the persists not yet durable, the volatile journal, the
/// applied tree, and its core while it is up.
/// </summary>
internal sealed class SimNode(long id, bool observer)
{
    public long Id { get; } = id;
    public bool Observer { get; } = observer;

    // Durable storage: survives a crash.
    public long DurableAccepted;
    public long DurableCurrent;
    public long DurableSnapshotZxid;
    public int DurableSnapshotCount;
    public readonly SimHistory Durable = new(); // snapshot txns, then the journal after it

    // Volatile: lost in a crash.
    public bool Up = true;
    public ReplicationCore? Core;
    public int Incarnation;
    public readonly Queue<ReplicationEffect> Pending = new();
    public readonly SimHistory Journal = new(); // what the journal holds, durable or not (snapshot txns first)
    public long JournalSnapshotZxid;
    public int JournalSnapshotCount;
    public readonly SimHistory Tree = new();
    public readonly List<SimSnapshotRequest> SnapshotRequests = new();
    public readonly List<object> IncomingSnapshot = new(); // a learner's pieces so far (SnapshotPiece), as the host stages them
    public readonly Queue<SimSnapshot> PendingSnapshots = new(); // the snapshots of the InstallSnapshot effects in Pending
    public long DiskStalledUntilMs; // a slow disk: no fsync completes before then

    public DurableState DurableState() =>
        new(DurableAccepted, DurableCurrent, DurableSnapshotZxid, Durable.Range(DurableSnapshotCount));

    public override string ToString() => Core is null ? $"n{Id} down" :
        $"n{Id} {Core.State}{(Core.Serving ? "*" : "")} e{Core.Epoch} last 0x{Core.LastZxid:x} committed 0x{Core.CommittedZxid:x} tree {Tree.Count}";
}

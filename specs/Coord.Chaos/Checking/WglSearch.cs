using System.Diagnostics;

namespace Coord.Chaos.Checking;

internal enum SearchResult
{
    Linearizable,
    NotLinearizable,
    Unknown,
}

/// <param name="Deepest">The longest prefix of ops the search could linearize (in order).</param>
/// <param name="Blocker">At that point, the op whose reply came before it could be placed.</param>
internal sealed record SearchOutcome(SearchResult Result, long Steps, IReadOnlyList<PartOp> Deepest, PartOp? Blocker);

/// <summary>
/// Wing–Gong–Lowe linearizability search over one partition: calls and returns in one list ordered by time; repeatedly
/// take a call that no pending return precedes, apply it to the model, lift it out and start over; at a return of an op
/// not yet placed, backtrack. Memoised on (set of placed ops, model state) as in Lowe's algorithm and porcupine.
/// Ops of unknown outcome return at infinity: they may be placed anywhere after their call, and the search succeeds
/// once every op with a known outcome is placed (the rest never happened). Placing an op first drops the session's
/// earlier unplaced ops (only possible for unknown ones), so a session's ops take effect in its order.
/// </summary>
internal sealed class WglSearch(Partition partition, long stepsMax, long deadlineTicks)
{
    private sealed class Entry
    {
        public required int Op { get; init; }
        public required bool IsCall { get; init; }
        public required long Time { get; init; }
        public Entry? Prev { get; set; }
        public Entry? Next { get; set; }
        public Entry Match { get; set; } = null!;
    }

    private sealed record Frame(Entry Call, List<Entry> Dropped, ModelState Previous, List<ModelState> Successors, int Choice);

    private readonly record struct MemoKey(ulong[] Bits, int BitsHash, ModelState State);

    private sealed class MemoComparer : IEqualityComparer<MemoKey>
    {
        public bool Equals(MemoKey a, MemoKey b) =>
            a.BitsHash == b.BitsHash && a.Bits.AsSpan().SequenceEqual(b.Bits) && a.State.Equals(b.State);

        public int GetHashCode(MemoKey k) => HashCode.Combine(k.BitsHash, k.State.GetHashCode());
    }

    public SearchOutcome Run()
    {
        var ops = partition.Ops;
        var model = new ZnodeModel(partition);
        var head = BuildList(ops);
        var placed = new bool[ops.Length];
        var bits = new ulong[(ops.Length + 63) / 64];
        var memo = new HashSet<MemoKey>(new MemoComparer());
        var stack = new Stack<Frame>();
        var liveness = new Liveness(partition);
        var state = liveness.Canonical(partition.InitialState());
        var knownLeft = ops.Count(o => o.Known);
        long steps = 0;
        IReadOnlyList<PartOp> deepest = [];
        PartOp? blocker = null;

        bool TryPush(Entry call, List<Entry> dropped, ModelState previous, List<ModelState> successors, int from)
        {
            var op = ops[call.Op];
            liveness.Count(op, -1);
            for (var i = from; i < successors.Count; i++)
            {
                SetBit(op.Index, true);
                foreach (var d in dropped) SetBit(d.Op, true);
                var next = liveness.Canonical(successors[i]);
                var key = new MemoKey((ulong[])bits.Clone(), BitsHash(), next);
                if (memo.Add(key))
                {
                    stack.Push(new Frame(call, dropped, previous, successors, i));
                    state = next;
                    foreach (var d in dropped)
                    {
                        placed[d.Op] = true;
                        Lift(d);
                    }

                    placed[op.Index] = true;
                    Lift(call);
                    if (op.Known) knownLeft--;
                    return true;
                }

                SetBit(op.Index, false);
                foreach (var d in dropped) SetBit(d.Op, false);
            }

            liveness.Count(op, +1);
            return false;
        }

        void Pop(Frame f)
        {
            var op = ops[f.Call.Op];
            Unlift(f.Call);
            placed[op.Index] = false;
            SetBit(op.Index, false);
            for (var i = f.Dropped.Count - 1; i >= 0; i--)
            {
                Unlift(f.Dropped[i]);
                placed[f.Dropped[i].Op] = false;
                SetBit(f.Dropped[i].Op, false);
            }

            if (op.Known) knownLeft++;
            liveness.Count(op, +1);
            state = f.Previous;
        }

        var entry = head.Next;
        while (true)
        {
            if (knownLeft == 0) return new SearchOutcome(SearchResult.Linearizable, steps, [], null);
            steps++;
            if (steps > stepsMax || ((steps & 1023) == 0 && Stopwatch.GetTimestamp() > deadlineTicks))
            {
                return new SearchOutcome(SearchResult.Unknown, steps, deepest, blocker);
            }

            if (entry is null) throw new InvalidOperationException("search ran past the last entry with known ops unplaced");
            if (entry.IsCall)
            {
                var op = ops[entry.Op];
                if (CanStart(op, placed, ops, entryOf, out var dropped))
                {
                    var successors = model.Step(state, op);
                    if (TryPush(entry, dropped, state, successors, 0))
                    {
                        entry = head.Next;
                        continue;
                    }
                }

                entry = entry.Next;
                continue;
            }

            // The reply of an op not yet placed: nothing placed so far leaves room for it. Backtrack.
            if (stack.Count >= deepest.Count && (stack.Count > deepest.Count || blocker is null))
            {
                deepest = [.. stack.Reverse().Select(f => ops[f.Call.Op])];
                blocker = ops[entry.Op];
            }

            while (true)
            {
                if (stack.Count == 0) return new SearchOutcome(SearchResult.NotLinearizable, steps, deepest, blocker);
                var f = stack.Pop();
                Pop(f);
                if (TryPush(f.Call, f.Dropped, f.Previous, f.Successors, f.Choice + 1))
                {
                    entry = head.Next;
                    break;
                }

                entry = f.Call.Next;
                break;
            }
        }

        void SetBit(int i, bool on)
        {
            if (on) bits[i >> 6] |= 1UL << (i & 63);
            else bits[i >> 6] &= ~(1UL << (i & 63));
        }

        int BitsHash()
        {
            var h = new HashCode();
            foreach (var w in bits) h.Add(w);
            return h.ToHashCode();
        }
    }

    private Entry[] entryOf = [];

    private static bool CanStart(PartOp op, bool[] placed, PartOp[] ops, Entry[] calls, out List<Entry> dropped)
    {
        dropped = [];
        foreach (var i in op.EarlierInSession)
        {
            if (placed[i]) continue;
            if (ops[i].Known) return false;
            dropped.Add(calls[i]);
        }

        return true;
    }

    private Entry BuildList(PartOp[] ops)
    {
        var entries = new List<Entry>(ops.Length * 2);
        entryOf = new Entry[ops.Length];
        foreach (var op in ops)
        {
            var call = new Entry { Op = op.Index, IsCall = true, Time = op.Call };
            var ret = new Entry { Op = op.Index, IsCall = false, Time = op.Return };
            call.Match = ret;
            ret.Match = call;
            entries.Add(call);
            entries.Add(ret);
            entryOf[op.Index] = call;
        }

        // Equal times: calls first, so ops stamped alike count as overlapping (the permissive reading).
        entries.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : a.IsCall != b.IsCall ? (a.IsCall ? -1 : 1) : a.Op.CompareTo(b.Op));
        var head = new Entry { Op = -1, IsCall = false, Time = long.MinValue };
        var prev = head;
        foreach (var e in entries)
        {
            prev.Next = e;
            e.Prev = prev;
            prev = e;
        }

        return head;
    }

    private static void Lift(Entry call)
    {
        call.Prev!.Next = call.Next;
        if (call.Next is not null) call.Next.Prev = call.Prev;
        var ret = call.Match;
        ret.Prev!.Next = ret.Next;
        if (ret.Next is not null) ret.Next.Prev = ret.Prev;
    }

    private static void Unlift(Entry call)
    {
        var ret = call.Match;
        ret.Prev!.Next = ret;
        if (ret.Next is not null) ret.Next.Prev = ret;
        call.Prev!.Next = call;
        if (call.Next is not null) call.Next.Prev = call;
    }
}

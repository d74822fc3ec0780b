namespace Coord.Chaos.Checking;

/// <summary>
/// What the ops not yet placed can still observe, kept up to date by the search, so states that differ only in what
/// no remaining op can see compare equal in the memo (without it, a failing search explores every order of
/// concurrent reads again). Only reads look at floors, old key values and the commit front:
/// <list type="bullet">
/// <item>a session with no read left has its floor dropped (set to 0);</item>
/// <item>a key keeps only the values from the oldest floor of a session still to read it, the oldest renumbered 0;</item>
/// <item>the commit front keeps only what answers a sync barrier of a read still to come, each pair's time replaced by
/// the barrier just below the first barrier it answers.</item>
/// </list>
/// Sound because floors only grow and the set of remaining reads only shrinks along a path of the search.
/// </summary>
internal sealed class Liveness
{
    private readonly Partition partition;
    private readonly int[,] readsLeft;
    private readonly int[] readsLeftBySession;
    private readonly long[] barriers;
    private readonly int[] barrierIndex;
    private readonly int[] barrierReadsLeft;

    public Liveness(Partition partition)
    {
        this.partition = partition;
        readsLeft = new int[partition.Sessions, partition.Keys.Length];
        readsLeftBySession = new int[partition.Sessions];
        barriers = [.. partition.Ops.Where(o => o.IsRead && o.SyncBarrier != long.MinValue).Select(o => o.SyncBarrier).Distinct().Order()];
        barrierReadsLeft = new int[barriers.Length];
        barrierIndex = new int[partition.Ops.Length];
        foreach (var op in partition.Ops)
        {
            barrierIndex[op.Index] = op.IsRead && op.SyncBarrier != long.MinValue ? Array.BinarySearch(barriers, op.SyncBarrier) : -1;
            Count(op, +1);
        }
    }

    /// <summary>The op is placed (-1) or taken back (+1).</summary>
    public void Count(PartOp op, int delta)
    {
        if (!op.IsRead) return;
        foreach (var k in op.ReadKeys) readsLeft[op.SessionIndex, k] += delta;
        readsLeftBySession[op.SessionIndex] += delta;
        if (barrierIndex[op.Index] >= 0) barrierReadsLeft[barrierIndex[op.Index]] += delta;
    }

    public ModelState Canonical(ModelState s)
    {
        var floors = s.Floors;
        for (var i = 0; i < floors.Length; i++)
        {
            if (readsLeftBySession[i] == 0 && floors[i] != 0)
            {
                if (ReferenceEquals(floors, s.Floors)) floors = (int[])floors.Clone();
                floors[i] = 0;
            }
        }

        var keys = s.Keys;
        for (var k = 0; k < keys.Length; k++)
        {
            var cut = s.Step;
            for (var i = 0; i < partition.Sessions; i++)
            {
                if (readsLeft[i, k] > 0) cut = Math.Min(cut, s.Floors[i]);
            }

            var trimmed = Trim(keys[k], cut);
            if (!ReferenceEquals(trimmed, keys[k]))
            {
                if (ReferenceEquals(keys, s.Keys)) keys = (KeyHistory[])keys.Clone();
                keys[k] = trimmed;
            }
        }

        var front = CanonicalFront(s.Front);
        return ReferenceEquals(floors, s.Floors) && ReferenceEquals(keys, s.Keys) && ReferenceEquals(front, s.Front)
            ? s
            : new ModelState(keys, s.Step, floors, front);
    }

    /// <summary>The values from the newest one at or before <paramref name="cut"/> on, that one renumbered 0.</summary>
    private static KeyHistory Trim(KeyHistory h, int cut)
    {
        var newer = new List<KeyHistory>();
        var at = h;
        while (at.Step > cut && at.Older is not null)
        {
            newer.Add(at);
            at = at.Older;
        }

        if (at.Older is null && (at.Step == 0 || at.Step > cut)) return h;
        var result = new KeyHistory(0, at.Value, null);
        for (var i = newer.Count - 1; i >= 0; i--) result = new KeyHistory(newer[i].Step, newer[i].Value, result);
        return result;
    }

    private (int Step, long Time)[] CanonicalFront((int Step, long Time)[] front)
    {
        if (front.Length == 0) return front;
        var pairs = new List<(int Step, long Time)>(front.Length);
        foreach (var (step, time) in front)
        {
            // The first barrier still waited for that this pair answers (time < barrier).
            var j = Array.BinarySearch(barriers, time);
            j = j >= 0 ? j + 1 : ~j;
            while (j < barriers.Length && barrierReadsLeft[j] == 0) j++;
            if (j == barriers.Length || step == 0) continue;
            pairs.Add((step, barriers[j] - 1));
        }

        pairs.Sort();
        var kept = new List<(int Step, long Time)>(pairs.Count);
        for (var i = 0; i < pairs.Count; i++)
        {
            var dominated = false;
            for (var j = 0; j < pairs.Count && !dominated; j++)
            {
                dominated = j != i && pairs[j].Step >= pairs[i].Step && pairs[j].Time <= pairs[i].Time && (pairs[j] != pairs[i] || j < i);
            }

            if (!dominated) kept.Add(pairs[i]);
        }

        return kept.Count == front.Length && kept.SequenceEqual(front) ? front : [.. kept];
    }
}

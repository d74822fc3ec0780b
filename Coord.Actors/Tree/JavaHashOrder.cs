namespace Coord.Actors.Tree;

/// <summary>
/// Reproduces the iteration order of Java hash collections where ZooKeeper lets it leak to clients: the
/// order in which a closing session's ephemerals are deleted (a clone of the session's HashSet, so the
/// order of NodeDeleted/NodeChildrenChanged events) and the order of a connection's auth ids. Java iterates
/// a HashMap bin by bin (bin = spread hash &amp; (capacity − 1)), each bin in insertion order.
/// </summary>
public static class JavaHashOrder
{
    /// <summary>java.lang.String.hashCode.</summary>
    public static int StringHash(string s)
    {
        unchecked
        {
            int h = 0;
            foreach (char c in s) h = 31 * h + c;
            return h;
        }
    }

    /// <summary>HashMap.hash / ConcurrentHashMap.spread: the high half folded into the low half.</summary>
    public static int Spread(int h) => h ^ (int)((uint)h >> 16);

    /// <summary>The table size a HashMap reaches holding <paramref name="count"/> entries (load factor 0.75).</summary>
    public static int GrownCapacity(int count)
    {
        int cap = 16;
        while (count > cap * 3 / 4) cap *= 2;
        return cap;
    }

    /// <summary>
    /// The table size of <c>set.clone()</c> holding <paramref name="count"/> entries: HashMap.clone pre-sizes with
    /// tableSizeFor((int)(count / 0.75f + 1)) as in JDK 17 (no minimum of 16, unlike <c>new HashSet&lt;&gt;(c)</c>).
    /// </summary>
    public static int CloneCapacity(int count)
    {
        int wanted = (int)(count / 0.75f + 1.0f);
        int cap = 1;
        while (cap < wanted) cap *= 2;
        return cap;
    }

    /// <summary>
    /// The order ZooKeeper deletes a closing session's ephemerals in (PrepRequestProcessor: a clone of the
    /// session's HashSet from DataTree.getEphemerals, then the outstanding changes applied to the clone).
    /// <paramref name="applied"/>: the session's set in insertion order; it never shrank below
    /// <paramref name="highWater"/> entries' table size. <paramref name="added"/>: ephemerals of pending creates,
    /// in order, appended to the clone (which grows as a HashMap does). Iteration is by bin of the final table,
    /// then the clone's insertion order: the source's iteration order (its bin, then insertion), then the adds.
    /// </summary>
    public static IReadOnlyList<string> HashSetCloneOrder(IReadOnlyList<string> applied, int highWater, IReadOnlyList<string> added)
    {
        int source = GrownCapacity(Math.Max(highWater, applied.Count));
        int cap = CloneCapacity(applied.Count);
        for (int size = applied.Count + 1; size <= applied.Count + added.Count; size++)
            if (size > cap * 3 / 4) cap *= 2;
        return applied.Select((s, i) => (s, phase: 0, sub: Spread(StringHash(s)) & (source - 1), i))
            .Concat(added.Select((s, i) => (s, phase: 1, sub: 0, i)))
            .OrderBy(x => Spread(StringHash(x.s)) & (cap - 1))
            .ThenBy(x => x.phase)
            .ThenBy(x => x.sub)
            .ThenBy(x => x.i)
            .Select(x => x.s)
            .ToList();
    }
}

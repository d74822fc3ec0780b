namespace Coord.Actors.Tree;

/// <summary>
/// Reproduces the iteration order of Java hash collections where ZooKeeper lets it leak to clients: the
/// order in which a closing session's ephemerals are deleted (a HashSet copy of the session's set, so the
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

    /// <summary>The table size of <c>new HashSet&lt;&gt;(collection)</c> for <paramref name="count"/> entries.</summary>
    public static int CopyCapacity(int count)
    {
        int wanted = Math.Max((int)(count / 0.75f) + 1, 16);
        int cap = 1;
        while (cap < wanted) cap *= 2;
        return cap;
    }

    /// <summary>
    /// Iteration order of <c>new HashSet&lt;String&gt;(set)</c> where <c>set</c> received the strings in
    /// <paramref name="insertionOrder"/>: by bin of the copy, then by bin of the source, then insertion.
    /// </summary>
    public static IReadOnlyList<string> HashSetCopyOrder(IReadOnlyList<string> insertionOrder)
    {
        int n = insertionOrder.Count;
        int source = GrownCapacity(n), copy = CopyCapacity(n);
        return insertionOrder
            .Select((s, i) => (s, i, h: Spread(StringHash(s))))
            .OrderBy(x => x.h & (copy - 1))
            .ThenBy(x => x.h & (source - 1))
            .ThenBy(x => x.i)
            .Select(x => x.s)
            .ToList();
    }
}

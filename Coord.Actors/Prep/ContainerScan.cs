using Coord.Actors.Tree;
using Coord.Actors.Txns;

namespace Coord.Actors.Prep;

/// <summary>
/// ZooKeeper's ContainerManager.getCandidates: containers that have had a child (stored cversion &gt; 0) and are
/// empty now, and childless TTL nodes whose mtime is more than ttl ms before <paramref name="nowMs"/>. The
/// leader deletes each through <c>Prepare(DeleteContainer, ...)</c>, which re-checks (a child may have appeared).
/// Never-used containers stay (maxNeverUsedIntervalMs = 0, ZooKeeper's default).
/// </summary>
public static class ContainerScan
{
    public static IReadOnlyList<string> Candidates(DataTree tree, long nowMs, int maxCount)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var found = new List<string>();
        foreach (var path in tree.Containers)
        {
            var n = tree.Get(path);
            if (n is not null && n.Children.Count == 0 && n.StoredCversion > 0) found.Add(path);
        }
        foreach (var path in tree.Ttls)
        {
            var n = tree.Get(path);
            if (n is null || n.Children.Count > 0) continue;
            long ttl = EphemeralOwners.TtlOf(n.EphemeralOwnerRaw);
            if (ttl != 0 && nowMs - n.Stat.Mtime > ttl) found.Add(path);
        }
        found.Sort(StringComparer.Ordinal);
        return found.Count > maxCount ? found.GetRange(0, Math.Max(0, maxCount)) : found;
    }
}

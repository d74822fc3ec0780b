using Coord.Actors.Tree;
using Coord.Protocol;

namespace Coord.Actors.Sessions;

/// <summary>
/// The order in which ZooKeeper lists a connection's auth ids. ZooKeeper keeps them in a set backed by a
/// ConcurrentHashMap, so `auth:` ACL expansion and whoAmI come out in hash-bin order, not in the order the
/// client authenticated. Clients can see that order (getACL), so Coord reproduces it: ids sorted by their
/// bin in a 16-bin table (Java's Id.hashCode, spread as ConcurrentHashMap does), ties in insertion order.
/// </summary>
public static class AuthIdOrder
{
    private const int Bins = 16;

    public static IReadOnlyList<Id> Arrange(IEnumerable<Id> idsInInsertionOrder) =>
        idsInInsertionOrder.Select((id, i) => (id, i)).OrderBy(p => Bin(p.id)).ThenBy(p => p.i).Select(p => p.id).ToList();

    public static int Bin(Id id) => JavaHashOrder.Spread(JavaHash(id)) & 0x7fffffff & (Bins - 1);

    /// <summary>org.apache.zookeeper.data.Id.hashCode: 17, then 37·h + scheme.hashCode, 37·h + id.hashCode.</summary>
    public static int JavaHash(Id id)
    {
        unchecked
        {
            int h = 17;
            h = 37 * h + JavaHashOrder.StringHash(id.Scheme);
            h = 37 * h + JavaHashOrder.StringHash(id.Ident);
            return h;
        }
    }
}

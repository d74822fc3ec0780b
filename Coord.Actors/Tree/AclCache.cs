using Coord.Protocol;

namespace Coord.Actors.Tree;

/// <summary>
/// Interns ACL lists: most nodes share a handful of ACLs (OPEN_ACL_UNSAFE, one digest user), so the tree
/// keeps one immutable copy of each distinct list instead of one per node, as ZooKeeper's ACL cache does.
/// Entries are never dropped: the number of distinct lists is small in practice and bounded by what
/// clients create.
/// </summary>
internal sealed class AclCache
{
    private readonly Dictionary<IReadOnlyList<Acl>, IReadOnlyList<Acl>> _lists = new(ListComparer.Instance);

    public int Count => _lists.Count;

    public IReadOnlyList<Acl> Intern(IReadOnlyList<Acl> acl)
    {
        if (_lists.TryGetValue(acl, out var shared)) return shared;
        IReadOnlyList<Acl> copy = acl.ToArray();
        _lists.Add(copy, copy);
        return copy;
    }

    /// <summary>Like <see cref="Intern"/>, but keeps <paramref name="acl"/> itself: only for a list nobody will change.</summary>
    public IReadOnlyList<Acl> Adopt(IReadOnlyList<Acl> acl)
    {
        if (_lists.TryGetValue(acl, out var shared)) return shared;
        _lists.Add(acl, acl);
        return acl;
    }

    /// <summary>Equality of ACL lists by content, in order.</summary>
    internal sealed class ListComparer : IEqualityComparer<IReadOnlyList<Acl>>
    {
        public static readonly ListComparer Instance = new();

        public bool Equals(IReadOnlyList<Acl>? x, IReadOnlyList<Acl>? y)
        {
            if (ReferenceEquals(x, y)) return true;
            if (x is null || y is null || x.Count != y.Count) return false;
            for (int i = 0; i < x.Count; i++) if (!x[i].Equals(y[i])) return false;
            return true;
        }

        public int GetHashCode(IReadOnlyList<Acl> list)
        {
            var h = new HashCode();
            foreach (var a in list) h.Add(a);
            return h.ToHashCode();
        }
    }
}

using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Tree;

/// <summary>A read-only view of a znode. Valid until the next Apply; do not mutate <see cref="Data"/>.</summary>
public interface INodeView
{
    string Path { get; }
    byte[]? Data { get; }
    IReadOnlyList<Acl> Acl { get; }
    /// <summary>As clients see it: cversion = stored×2 − numChildren, owner 0 for containers and TTL nodes.</summary>
    Stat Stat { get; }
    long EphemeralOwnerRaw { get; }
    /// <summary>Count of children ever created (ZooKeeper's persisted cversion); the sequential counter.</summary>
    int StoredCversion { get; }
    /// <summary>Child names, ordinal order.</summary>
    IReadOnlyCollection<string> Children { get; }
}

/// <summary>
/// One znode. Copy-on-write: every field a snapshot stores is immutable, and a change makes a new Node that
/// the tree puts in place of the old one, so a <see cref="TreeImage"/> can hold the old object and be
/// serialised on another thread while apply goes on. The child name set is the exception: it is shared by
/// the versions of a node and mutated in place, because snapshots do not store it (children are rebuilt
/// from paths on load). A captured Node's <see cref="Children"/>, <see cref="ChildCount"/> and
/// <see cref="Stat"/> are therefore live and must not be read off the apply thread.
/// </summary>
internal sealed class Node : INodeView
{
    public Node(string path, byte[]? data, IReadOnlyList<Acl> acl, long owner, long zxid, long timeMs)
    {
        Path = path;
        Data = data;
        Acl = acl;
        EphemeralOwnerRaw = owner;
        Czxid = Mzxid = Pzxid = zxid;
        Ctime = Mtime = timeMs;
    }

    /// <summary>Every stored field, as a snapshot holds them; the node starts without children.</summary>
    public Node(string path, byte[]? data, IReadOnlyList<Acl> acl, long owner, long czxid, long mzxid, long pzxid,
        long ctime, long mtime, int version, int storedCversion, int aversion)
    {
        Path = path;
        Data = data;
        Acl = acl;
        EphemeralOwnerRaw = owner;
        Czxid = czxid;
        Mzxid = mzxid;
        Pzxid = pzxid;
        Ctime = ctime;
        Mtime = mtime;
        Version = version;
        StoredCversion = storedCversion;
        Aversion = aversion;
    }

    private Node(Node from)
    {
        Path = from.Path;
        Data = from.Data;
        Acl = from.Acl;
        EphemeralOwnerRaw = from.EphemeralOwnerRaw;
        Czxid = from.Czxid;
        Ctime = from.Ctime;
        Mzxid = from.Mzxid;
        Mtime = from.Mtime;
        Pzxid = from.Pzxid;
        Version = from.Version;
        Aversion = from.Aversion;
        StoredCversion = from.StoredCversion;
        _children = from._children;
    }

    public string Path { get; }
    public byte[]? Data { get; private init; }
    public IReadOnlyList<Acl> Acl { get; private init; }
    public long EphemeralOwnerRaw { get; }
    public long Czxid { get; }
    public long Ctime { get; }
    public long Mzxid { get; private init; }
    public long Mtime { get; private init; }
    public long Pzxid { get; private init; }
    public int Version { get; private init; }
    public int Aversion { get; private init; }
    public int StoredCversion { get; private init; }

    // Sorted so that every replica lists children in the same order (string hashing is per process).
    // Most nodes are leaves: the set exists only once a child does. Shared with later versions of this node.
    private SortedSet<string>? _children;

    public Node WithData(byte[]? data, int version, long zxid, long timeMs) =>
        new(this) { Data = data, Version = version, Mzxid = zxid, Mtime = timeMs };

    public Node WithAcl(IReadOnlyList<Acl> acl, int aversion) => new(this) { Acl = acl, Aversion = aversion };

    public Node WithChildAdded(string name, int storedCversion, long zxid)
    {
        var next = new Node(this) { StoredCversion = storedCversion, Pzxid = zxid };
        next.AddChild(name);
        return next;
    }

    /// <summary>Deletes do not touch the stored counter; the reported cversion rises because numChildren falls.</summary>
    public Node WithChildRemoved(string name, long zxid)
    {
        var next = new Node(this) { Pzxid = zxid };
        next.RemoveChild(name);
        return next;
    }

    /// <summary>Links a child without a new version: only for a tree under construction (fresh or restoring).</summary>
    public void AddChild(string name) => (_children ??= new SortedSet<string>(StringComparer.Ordinal)).Add(name);

    private void RemoveChild(string name)
    {
        if (_children is null) return;
        _children.Remove(name);
        if (_children.Count == 0) _children = null;
    }

    public int ChildCount => _children?.Count ?? 0;

    public IReadOnlyCollection<string> Children => (IReadOnlyCollection<string>?)_children ?? [];

    public int DataLength => Data?.Length ?? 0;

    public Stat Stat => new(
        Czxid, Mzxid, Ctime, Mtime, Version,
        unchecked(StoredCversion * 2 - ChildCount),
        Aversion, EphemeralOwners.Reported(EphemeralOwnerRaw), DataLength, ChildCount, Pzxid);

    public override string ToString() => $"{Path} {Stat}";
}

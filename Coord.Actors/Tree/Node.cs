using Coord.Actors.Txns;
using Coord.Client.Protocol;

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

internal sealed class Node(string path, byte[]? data, IReadOnlyList<Acl> acl, long owner, long zxid, long timeMs) : INodeView
{
    public string Path { get; } = path;
    public byte[]? Data { get; set; } = data;
    public IReadOnlyList<Acl> Acl { get; set; } = acl;
    public long EphemeralOwnerRaw { get; } = owner;
    public long Czxid { get; } = zxid;
    public long Ctime { get; } = timeMs;
    public long Mzxid { get; set; } = zxid;
    public long Mtime { get; set; } = timeMs;
    public long Pzxid { get; set; } = zxid;
    public int Version { get; set; }
    public int Aversion { get; set; }
    public int StoredCversion { get; set; }

    // Sorted so that every replica lists children in the same order (string hashing is per process).
    // Most nodes are leaves: the set exists only once a child does.
    private SortedSet<string>? _children;

    public int ChildCount => _children?.Count ?? 0;

    public void AddChild(string name) => (_children ??= new SortedSet<string>(StringComparer.Ordinal)).Add(name);

    public void RemoveChild(string name)
    {
        if (_children is null) return;
        _children.Remove(name);
        if (_children.Count == 0) _children = null;
    }

    public IReadOnlyCollection<string> Children => (IReadOnlyCollection<string>?)_children ?? [];

    public int DataLength => Data?.Length ?? 0;

    public Stat Stat => new(
        Czxid, Mzxid, Ctime, Mtime, Version,
        unchecked(StoredCversion * 2 - ChildCount),
        Aversion, EphemeralOwners.Reported(EphemeralOwnerRaw), DataLength, ChildCount, Pzxid);

    public override string ToString() => $"{Path} {Stat}";
}

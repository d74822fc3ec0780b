using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Tree;

public sealed partial class DataTree
{
    /// <summary>
    /// A consistent image of the state for a snapshot. O(n) reference copies and no per-node work, so the
    /// owner can take it between two applies and hand it to another thread to serialise.
    /// </summary>
    public TreeImage Capture()
    {
        var nodes = new Node[_nodes.Count];
        _nodes.Values.CopyTo(nodes, 0);
        var sessions = new SessionRecord[_sessions.Count];
        _sessions.Values.CopyTo(sessions, 0);
        return new TreeImage(LastAppliedZxid, nodes, sessions);
    }

    /// <summary>
    /// Rebuilds a tree from an image: children from paths, the ephemeral index, container and TTL sets,
    /// interned ACLs and <see cref="ApproximateDataSize"/>. Its <see cref="Digest"/> equals the captured
    /// tree's. Throws <see cref="InvalidOperationException"/> when the image cannot be a tree (duplicate
    /// path, missing root or parent, child of an ephemeral, ephemeral of an unknown session).
    /// </summary>
    public static DataTree Restore(TreeImage image) => Restore(image, nodesAreFresh: false);

    /// <summary>
    /// <paramref name="nodesAreFresh"/>: the image's nodes and ACL lists belong to nobody else (a snapshot
    /// just read), so the tree takes them as they are instead of copying each node: half the allocation of a
    /// load. A captured image's nodes share child sets with the live tree and must be copied.
    /// </summary>
    internal static DataTree Restore(TreeImage image, bool nodesAreFresh)
    {
        ArgumentNullException.ThrowIfNull(image);
        var tree = new DataTree(image.NodeCount);
        foreach (var s in image.Sessions)
            if (!EphemeralOwners.IsSession(s.SessionId) || !tree._sessions.TryAdd(s.SessionId, s))
                throw Broken($"image holds session 0x{s.SessionId:x} twice or as a node marker");

        long size = 0;
        // Images read from a file already share one list per distinct ACL: intern each list once, by reference.
        var interned = new Dictionary<IReadOnlyList<Acl>, IReadOnlyList<Acl>>(ReferenceEqualityComparer.Instance);
        foreach (var n in image.Nodes)
        {
            if (!interned.TryGetValue(n.Acl, out var acl))
                interned[n.Acl] = acl = nodesAreFresh ? tree._acls.Adopt(n.Acl) : tree._acls.Intern(n.Acl);
            if (PathRules.Validate(n.Path) is { } why) throw Broken($"image holds a bad path {n.Path}: {why}");
            // Otherwise a copy: captured nodes share their child sets with the live tree's.
            var copy = nodesAreFresh && ReferenceEquals(acl, n.Acl) ? n : new Node(n.Path, n.Data, acl, n.EphemeralOwnerRaw, n.Czxid, n.Mzxid,
                n.Pzxid, n.Ctime, n.Mtime, n.Version, n.StoredCversion, n.Aversion);
            if (!tree._nodes.TryAdd(n.Path, copy)) throw Broken($"image holds {n.Path} twice");
            size += n.Path.Length + n.DataLength;
        }
        if (!tree._nodes.ContainsKey(PathRules.Root)) throw Broken("image has no root node");

        // Parents are looked up by span: no substring per node.
        var byPath = tree._nodes.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var node in tree._nodes.Values)
        {
            if (node.Path == PathRules.Root) continue;
            int slash = node.Path.LastIndexOf('/');
            var parentPath = slash == 0 ? PathRules.Root.AsSpan() : node.Path.AsSpan(0, slash);
            if (!byPath.TryGetValue(parentPath, out var parent)) throw Broken($"image holds {node.Path} without its parent");
            if (EphemeralOwners.IsSession(parent.EphemeralOwnerRaw)) throw Broken($"image holds {node.Path} under an ephemeral");
            parent.AddChild(PathRules.NameOf(node.Path));

            long owner = node.EphemeralOwnerRaw;
            if (EphemeralOwners.IsSession(owner))
            {
                if (!tree._sessions.ContainsKey(owner)) throw Broken($"image holds ephemeral {node.Path} of unknown session 0x{owner:x}");
                tree.AddEphemeral(owner, node.Path);
            }
            else if (EphemeralOwners.IsContainer(owner)) tree._containers.Add(node.Path);
            else if (EphemeralOwners.IsTtl(owner)) tree._ttls.Add(node.Path);
        }
        tree.ApproximateDataSize = size;
        tree.LastAppliedZxid = image.LastZxid;
        return tree;
    }
}

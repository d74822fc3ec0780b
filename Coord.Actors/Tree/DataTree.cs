using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Tree;

/// <summary>
/// The znode tree plus sessions and their ephemerals: the state every replica derives from the same txns.
/// Not thread-safe: one owner applies txns and serves reads. Mutated only by <see cref="Apply"/>.
/// </summary>
public sealed partial class DataTree
{
    private readonly Dictionary<string, Node> _nodes;
    private readonly Dictionary<long, SessionRecord> _sessions = [];
    private readonly Dictionary<long, SortedSet<string>> _ephemerals = [];
    // Per live session, the most ephemerals it ever held at once: ZooKeeper's per-session HashSet never shrinks,
    // and its table size decides the order a closing session's ephemerals are deleted in (JavaHashOrder).
    // In memory only, like ZooKeeper's (a restart rebuilds both from what is left).
    private readonly Dictionary<long, int> _ephemeralsHighWater = [];
    private readonly SortedSet<string> _containers = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _ttls = new(StringComparer.Ordinal);
    private readonly AclCache _acls = new();
    private static readonly IReadOnlyCollection<string> NoPaths = Array.Empty<string>();

    /// <summary>
    /// A fresh tree: "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config" with zxids and times 0.
    /// The system nodes are linked without creates, so "/" reports cversion −1 as ZooKeeper does.
    /// </summary>
    public DataTree()
    {
        _nodes = new(StringComparer.Ordinal);
        var root = new Node(PathRules.Root, [], Acl.OpenAclUnsafe, 0, 0, 0);
        _nodes.Add(root.Path, root);
        AddSystemNode(PathRules.ZooKeeper, Acl.OpenAclUnsafe);
        AddSystemNode(PathRules.Quota, Acl.OpenAclUnsafe);
        AddSystemNode(PathRules.Config, Acl.ReadAclUnsafe);
    }

    /// <summary>An empty tree for <see cref="Restore"/> to fill.</summary>
    private DataTree(int nodeCapacity)
    {
        _nodes = new(nodeCapacity, StringComparer.Ordinal);
        ApproximateDataSize = 0;
    }

    private void AddSystemNode(string path, IReadOnlyList<Acl> acl)
    {
        var node = new Node(path, [], acl, 0, 0, 0);
        _nodes.Add(path, node);
        _nodes[PathRules.ParentOf(path)!].AddChild(PathRules.NameOf(path));
        ApproximateDataSize += path.Length;
    }

    public long LastAppliedZxid { get; private set; }

    public int NodeCount => _nodes.Count;

    /// <summary>Sum of path lengths and data lengths over all nodes, as ZooKeeper's mntr reports it.</summary>
    public long ApproximateDataSize { get; private set; } = 1;

    public IReadOnlyDictionary<long, SessionRecord> Sessions => _sessions;

    public IReadOnlyCollection<string> EphemeralsOf(long sessionId) =>
        _ephemerals.TryGetValue(sessionId, out var set) ? set : NoPaths;

    /// <summary>The most ephemerals the session has held at once since it was created (or since this tree was loaded).</summary>
    public int EphemeralsHighWater(long sessionId) =>
        _ephemeralsHighWater.TryGetValue(sessionId, out var n) ? n : EphemeralsOf(sessionId).Count;

    public int EphemeralCount { get; private set; }

    /// <summary>Paths of container nodes, ordinal order.</summary>
    internal IReadOnlyCollection<string> Containers => _containers;

    /// <summary>Paths of TTL nodes, ordinal order.</summary>
    internal IReadOnlyCollection<string> Ttls => _ttls;

    public INodeView? Get(string path) => _nodes.GetValueOrDefault(path);

    internal Node? Find(string path) => _nodes.GetValueOrDefault(path);

    public override string ToString() => $"DataTree zxid=0x{LastAppliedZxid:x} nodes={NodeCount} sessions={_sessions.Count}";
}

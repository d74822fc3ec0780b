namespace Coord.Actors.Tree;

/// <summary>
/// A consistent image of a <see cref="DataTree"/> at <see cref="LastZxid"/>: the node objects and session
/// records as they were at capture. Safe to read on any thread while the tree goes on applying, because
/// apply replaces nodes instead of mutating them (see <see cref="Node"/>). Holds only what a snapshot
/// stores; children, the ephemeral index and the container/TTL sets are derived again on restore.
/// Nodes and sessions are in no particular order.
/// </summary>
public sealed class TreeImage
{
    internal TreeImage(long lastZxid, Node[] nodes, SessionRecord[] sessions)
    {
        LastZxid = lastZxid;
        Nodes = nodes;
        Sessions = sessions;
    }

    public long LastZxid { get; }

    public int NodeCount => Nodes.Length;

    public IReadOnlyList<SessionRecord> Sessions { get; }

    // Only the stored fields of these nodes may be read off the apply thread (not Children, ChildCount, Stat).
    internal Node[] Nodes { get; }

    public override string ToString() => $"TreeImage zxid=0x{LastZxid:x} nodes={NodeCount} sessions={Sessions.Count}";
}

using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Tree;

public sealed partial class DataTree
{
    /// <summary>
    /// Applies one committed txn. Deterministic: the same txns on equal trees give equal trees, results and
    /// triggers. Triggers come in op order (for a multi: each op's, after all ops are applied). Throws
    /// <see cref="InvalidOperationException"/> when the txn does not fit the state (a broken invariant); the
    /// tree must then be discarded. Never mutates a stored field of a Node in place (see <see cref="Node"/>):
    /// a change replaces the node in the dictionary, so images taken by <see cref="Capture"/> stay consistent.
    /// </summary>
    public ApplyResult Apply(SequencedTxn txn)
    {
        ArgumentNullException.ThrowIfNull(txn);
        var h = txn.Header;
        if (h.Zxid <= LastAppliedZxid)
            throw Broken($"txn zxid 0x{h.Zxid:x} is not greater than last applied 0x{LastAppliedZxid:x}");

        IReadOnlyList<OpResult> results;
        var triggers = new List<WatchTrigger>(2);
        switch (txn.Body)
        {
            case MultiTxn m when m.Failed:
                var errors = new List<OpResult>(m.Txns.Count);
                foreach (var sub in m.Txns)
                    errors.Add(sub is ErrorTxn e ? OpResult.Error(e.Err) : throw Broken($"failed multi holds {sub.Type}: {m}"));
                results = errors;
                break;
            case MultiTxn m:
                var applied = new List<OpResult>(m.Txns.Count);
                foreach (var sub in m.Txns)
                {
                    if (sub is MultiTxn or CreateSessionTxn or CloseSessionTxn) throw Broken($"{sub.Type} inside a multi");
                    applied.Add(ApplyOp(sub, h, triggers));
                }
                results = applied;
                break;
            default:
                // One op, the common case: an array, without a list around it.
                results = [ApplyOp(txn.Body, h, triggers)];
                break;
        }
        LastAppliedZxid = h.Zxid;
        return new ApplyResult(results, triggers);
    }

    private OpResult ApplyOp(Txn body, TxnHeader h, List<WatchTrigger> triggers) => body switch
    {
        CreateTxn c => ApplyCreate(c, h, triggers),
        DeleteTxn d => ApplyDelete(d.Path, h.Zxid, triggers),
        SetDataTxn s => ApplySetData(s, h, triggers),
        SetAclTxn a => ApplySetAcl(a),
        CheckVersionTxn c => new OpResult(OpCode.Check, ErrorCode.Ok, c.Path, default),
        ErrorTxn e => OpResult.Error(e.Err),
        CreateSessionTxn s => ApplyCreateSession(s),
        CloseSessionTxn c => ApplyCloseSession(c, h.Zxid, triggers),
        _ => throw Broken($"cannot apply {body.Type}"),
    };

    private OpResult ApplyCreate(CreateTxn c, TxnHeader h, List<WatchTrigger> triggers)
    {
        if (_nodes.ContainsKey(c.Path)) throw Broken($"create of existing node {c.Path}");
        string parentPath = PathRules.ParentOf(c.Path) ?? throw Broken($"create of {c.Path} without parent");
        var parent = Find(parentPath) ?? throw Broken($"create of {c.Path} under missing parent");
        if (EphemeralOwners.IsSession(parent.EphemeralOwnerRaw)) throw Broken($"create of {c.Path} under an ephemeral");
        if (c.ParentCversion != unchecked(parent.StoredCversion + 1))
            throw Broken($"create of {c.Path}: parent cversion {c.ParentCversion} does not follow {parent.StoredCversion}");
        bool ephemeral = EphemeralOwners.IsSession(c.EphemeralOwner);
        if (ephemeral && !_sessions.ContainsKey(c.EphemeralOwner))
            throw Broken($"ephemeral {c.Path} owned by unknown session 0x{c.EphemeralOwner:x}");

        var node = new Node(c.Path, c.Data, _acls.Intern(c.Acl), c.EphemeralOwner, h.Zxid, h.TimeMs);
        _nodes.Add(c.Path, node);
        parent = _nodes[parentPath] = parent.WithChildAdded(PathRules.NameOf(c.Path), c.ParentCversion, h.Zxid);
        ApproximateDataSize += c.Path.Length + node.DataLength;
        if (ephemeral) AddEphemeral(c.EphemeralOwner, c.Path);
        else if (EphemeralOwners.IsContainer(c.EphemeralOwner)) _containers.Add(c.Path);
        else if (EphemeralOwners.IsTtl(c.EphemeralOwner)) _ttls.Add(c.Path);

        triggers.Add(new WatchTrigger(c.Path, EventType.NodeCreated, node.Acl));
        triggers.Add(new WatchTrigger(parentPath, EventType.NodeChildrenChanged, parent.Acl));
        return new OpResult((OpCode)(int)c.Type, ErrorCode.Ok, c.Path, node.Stat);
    }

    private OpResult ApplyDelete(string path, long zxid, List<WatchTrigger> triggers)
    {
        var node = Find(path) ?? throw Broken($"delete of missing node {path}");
        if (PathRules.IsSystemPath(path)) throw Broken($"delete of system node {path}");
        if (node.ChildCount > 0) throw Broken($"delete of {path} with {node.ChildCount} children");
        string parentPath = PathRules.ParentOf(path)!;
        _nodes.Remove(path);
        var parent = _nodes[parentPath] = _nodes[parentPath].WithChildRemoved(PathRules.NameOf(path), zxid);
        ApproximateDataSize -= path.Length + node.DataLength;
        long owner = node.EphemeralOwnerRaw;
        if (EphemeralOwners.IsSession(owner)) RemoveEphemeral(owner, path);
        else if (EphemeralOwners.IsContainer(owner)) _containers.Remove(path);
        else if (EphemeralOwners.IsTtl(owner)) _ttls.Remove(path);

        triggers.Add(new WatchTrigger(path, EventType.NodeDeleted, node.Acl));
        triggers.Add(new WatchTrigger(parentPath, EventType.NodeChildrenChanged, parent.Acl));
        return new OpResult(OpCode.Delete, ErrorCode.Ok, path, default);
    }

    private OpResult ApplySetData(SetDataTxn s, TxnHeader h, List<WatchTrigger> triggers)
    {
        var node = Find(s.Path) ?? throw Broken($"setData of missing node {s.Path}");
        if (s.Version != unchecked(node.Version + 1))
            throw Broken($"setData of {s.Path}: version {s.Version} does not follow {node.Version}");
        ApproximateDataSize += (s.Data?.Length ?? 0) - node.DataLength;
        node = _nodes[s.Path] = node.WithData(s.Data, s.Version, h.Zxid, h.TimeMs);
        triggers.Add(new WatchTrigger(s.Path, EventType.NodeDataChanged, node.Acl));
        return new OpResult(OpCode.SetData, ErrorCode.Ok, s.Path, node.Stat);
    }

    private OpResult ApplySetAcl(SetAclTxn a)
    {
        var node = Find(a.Path) ?? throw Broken($"setACL of missing node {a.Path}");
        if (a.Version != unchecked(node.Aversion + 1))
            throw Broken($"setACL of {a.Path}: aversion {a.Version} does not follow {node.Aversion}");
        // setACL changes neither mzxid nor mtime, and fires no watch.
        node = _nodes[a.Path] = node.WithAcl(_acls.Intern(a.Acl), a.Version);
        return new OpResult(OpCode.SetAcl, ErrorCode.Ok, a.Path, node.Stat);
    }

    private static InvalidOperationException Broken(string what) => new($"broken tree invariant: {what}");
}

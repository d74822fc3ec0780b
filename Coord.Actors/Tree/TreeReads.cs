using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Tree;

/// <summary>
/// Read ops against the tree, with FinalRequestProcessor's check order: node exists (NONODE) → permission
/// (NOAUTH) → answer. A watch is registered only when the read succeeds, except exists on a missing node,
/// which arms an Exist watch. Reads never validate path syntax: odd paths are simply not found.
/// </summary>
public static class TreeReads
{
    /// <param name="existsRequiresRead">exists on an existing node checks READ (ZooKeeper 3.8.4/3.9.2+); false = older servers.</param>
    public static ReadOutcome Execute(DataTree tree, OpCode op, object request, long sessionId, IReadOnlyList<Id> authIds,
        bool existsRequiresRead = true)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return (op, request) switch
        {
            (OpCode.Exists, PathWatchRequest r) => Exists(tree, r, authIds, existsRequiresRead),
            (OpCode.GetData, PathWatchRequest r) => GetData(tree, r.Path, r.Watch, authIds),
            (OpCode.GetChildren, PathWatchRequest r) => GetChildren(tree, r.Path, r.Watch, withStat: false, authIds),
            (OpCode.GetChildren2, PathWatchRequest r) => GetChildren(tree, r.Path, r.Watch, withStat: true, authIds),
            (OpCode.GetAcl, PathRequest r) => GetAcl(tree, r.Path, authIds),
            (OpCode.GetAllChildrenNumber, PathRequest r) => GetAllChildrenNumber(tree, r.Path, authIds),
            (OpCode.GetEphemerals, PathRequest r) => GetEphemerals(tree, r.Path, sessionId),
            (OpCode.MultiRead, MultiRequest r) => MultiRead(tree, r, authIds),
            (OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2 or OpCode.GetAcl
                or OpCode.GetAllChildrenNumber or OpCode.GetEphemerals or OpCode.MultiRead, _) => Fail(ErrorCode.MarshallingError),
            _ => Fail(ErrorCode.Unimplemented),
        };
    }

    private static ReadOutcome Fail(ErrorCode err) => new(err, null, null);

    private static ReadOutcome Ok(object body, WatchKind? watch = null) => new(ErrorCode.Ok, body, watch);

    private static ReadOutcome Exists(DataTree tree, PathWatchRequest r, IReadOnlyList<Id> authIds, bool requiresRead)
    {
        if (r.Path.Contains('\0')) return Fail(ErrorCode.BadArguments);
        var node = tree.Get(r.Path);
        // A missing node still arms the watch: it fires NodeCreated later.
        if (node is null) return new(ErrorCode.NoNode, null, r.Watch ? WatchKind.Exist : null);
        if (requiresRead && !AclCheck.Allowed(node.Acl, Perms.Read, authIds)) return Fail(ErrorCode.NoAuth);
        return Ok(new StatResponse(node.Stat), r.Watch ? WatchKind.Data : null);
    }

    private static ReadOutcome GetData(DataTree tree, string path, bool watch, IReadOnlyList<Id> authIds)
    {
        var node = tree.Get(path);
        if (node is null) return Fail(ErrorCode.NoNode);
        if (!AclCheck.Allowed(node.Acl, Perms.Read, authIds)) return Fail(ErrorCode.NoAuth);
        return Ok(new GetDataResponse(node.Data, node.Stat), watch ? WatchKind.Data : null);
    }

    private static ReadOutcome GetChildren(DataTree tree, string path, bool watch, bool withStat, IReadOnlyList<Id> authIds)
    {
        var node = tree.Get(path);
        if (node is null) return Fail(ErrorCode.NoNode);
        if (!AclCheck.Allowed(node.Acl, Perms.Read, authIds)) return Fail(ErrorCode.NoAuth);
        var names = node.Children.ToList();
        object body = withStat ? new GetChildren2Response(names, node.Stat) : new GetChildrenResponse(names);
        return Ok(body, watch ? WatchKind.Child : null);
    }

    /// <summary>Needs READ or ADMIN; without ADMIN the digest hashes are masked as "user:x".</summary>
    private static ReadOutcome GetAcl(DataTree tree, string path, IReadOnlyList<Id> authIds)
    {
        var node = tree.Get(path);
        if (node is null) return Fail(ErrorCode.NoNode);
        if (!AclCheck.Allowed(node.Acl, Perms.Read | Perms.Admin, authIds)) return Fail(ErrorCode.NoAuth);
        var acl = node.Acl;
        if (!AclCheck.Allowed(acl, Perms.Admin, authIds))
            acl = acl.Select(a => a.Id.Scheme == "digest" ? a with { Id = new Id("digest", MaskDigest(a.Id.Ident)) } : a).ToList();
        return Ok(new GetAclResponse(acl, node.Stat));
    }

    private static string MaskDigest(string id)
    {
        int colon = id.IndexOf(':');
        return colon < 0 ? id : id[..colon] + ":x";
    }

    private static ReadOutcome GetAllChildrenNumber(DataTree tree, string path, IReadOnlyList<Id> authIds)
    {
        var node = tree.Get(path);
        if (node is null) return Fail(ErrorCode.NoNode);
        if (!AclCheck.Allowed(node.Acl, Perms.Read, authIds)) return Fail(ErrorCode.NoAuth);
        int count = 0;
        var stack = new Stack<INodeView>();
        stack.Push(node);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            foreach (var name in n.Children)
            {
                count++;
                stack.Push(tree.Get(n.Path == PathRules.Root ? "/" + name : n.Path + "/" + name)!);
            }
        }
        return Ok(new GetAllChildrenNumberResponse(count));
    }

    /// <summary>The caller's own ephemerals whose path starts with the prefix ("" or "/" = all), sorted. No ACL check.</summary>
    private static ReadOutcome GetEphemerals(DataTree tree, string prefix, long sessionId)
    {
        var all = tree.EphemeralsOf(sessionId);
        string p = prefix.Trim();
        var list = p.Length == 0 || p == "/"
            ? all.Order(StringComparer.Ordinal).ToList()
            : all.Where(e => e.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        return Ok(new GetEphemeralsResponse(list));
    }

    /// <summary>Each op answers on its own (never fails as a whole) and no watch is set.</summary>
    private static ReadOutcome MultiRead(DataTree tree, MultiRequest r, IReadOnlyList<Id> authIds)
    {
        var results = new List<MultiResult>(r.Ops.Count);
        foreach (var op in r.Ops)
        {
            var one = (op.Type, op.Request) switch
            {
                (OpCode.GetData, PathWatchRequest p) => GetData(tree, p.Path, false, authIds),
                (OpCode.GetChildren, PathWatchRequest p) => GetChildren(tree, p.Path, false, withStat: false, authIds),
                _ => null,
            };
            if (one is null) return Fail(ErrorCode.MarshallingError);
            results.Add(one.Err == ErrorCode.Ok ? new MultiResult(op.Type, ErrorCode.Ok, one.Body) : MultiResult.Error(one.Err));
        }
        return Ok(new MultiResponse(results));
    }
}

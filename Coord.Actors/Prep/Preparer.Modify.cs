using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Prep;

public sealed partial class Preparer
{
    /// <summary>Order: session → "/" or system path or no '/' or NUL (BADARGUMENTS) → parent (NONODE) → DELETE on parent (NOAUTH) → node (NONODE) → version → children (NOTEMPTY).</summary>
    private Txn PrepareDelete(string path, int version, SessionContext s, long zxid)
    {
        if (!SessionLive(s.SessionId)) return Fail(ErrorCode.SessionExpired);
        int lastSlash = path.LastIndexOf('/');
        if (lastSlash < 0 || path.Contains('\0') || PathRules.IsSystemPath(path)) return Fail(ErrorCode.BadArguments);
        var parent = Lookup(ParentOf(path, lastSlash));
        if (parent is null) return Fail(ErrorCode.NoNode);
        if (!AclCheck.Allowed(parent.Acl, Perms.Delete, s.AuthIds)) return Fail(ErrorCode.NoAuth);
        var node = Lookup(path);
        if (node is null) return Fail(ErrorCode.NoNode);
        if (version != -1 && version != node.Version) return Fail(ErrorCode.BadVersion);
        if (node.ChildCount > 0) return Fail(ErrorCode.NotEmpty);
        StageDelete(parent, path, zxid);
        return new DeleteTxn(path);
    }

    /// <summary>
    /// The leader's own cleanup of containers and TTL nodes: no session or ACL check; NOTEMPTY if a child
    /// appeared meanwhile; an ordinary ephemeral is refused with BADVERSION (as ZooKeeper does).
    /// </summary>
    private Txn PrepareDeleteContainer(string path, long zxid)
    {
        int lastSlash = path.LastIndexOf('/');
        if (lastSlash < 0 || path.Contains('\0') || PathRules.IsSystemPath(path)) return Fail(ErrorCode.BadArguments);
        var node = Lookup(path);
        if (node is null) return Fail(ErrorCode.NoNode);
        if (node.ChildCount > 0) return Fail(ErrorCode.NotEmpty);
        if (EphemeralOwners.IsSession(node.EphemeralOwner)) return Fail(ErrorCode.BadVersion);
        var parent = Lookup(ParentOf(path, lastSlash))
                     ?? throw new InvalidOperationException($"prep state has {path} without its parent");
        StageDelete(parent, path, zxid);
        return new DeleteTxn(path);
    }

    private void StageDelete(PendingNode parent, string path, long zxid)
    {
        Stage(parent with { Zxid = zxid, ChildCount = parent.ChildCount - 1 });
        Stage(PendingNode.Deleted(zxid, path));
    }

    /// <summary>Order: session → path valid → node (NONODE) → WRITE (NOAUTH) → version (BADVERSION).</summary>
    private Txn PrepareSetData(string path, byte[]? data, int version, SessionContext s, long zxid)
    {
        if (!SessionLive(s.SessionId)) return Fail(ErrorCode.SessionExpired);
        if (PathRules.Validate(path) is not null) return Fail(ErrorCode.BadArguments);
        var node = Lookup(path);
        if (node is null) return Fail(ErrorCode.NoNode);
        if (!AclCheck.Allowed(node.Acl, Perms.Write, s.AuthIds)) return Fail(ErrorCode.NoAuth);
        if (version != -1 && version != node.Version) return Fail(ErrorCode.BadVersion);
        int newVersion = unchecked(node.Version + 1);
        Stage(node with { Zxid = zxid, Version = newVersion });
        return new SetDataTxn(path, data, newVersion);
    }

    /// <summary>Order: session → path valid → ACL (INVALIDACL) → node (NONODE) → ADMIN (NOAUTH) → aversion (BADVERSION).</summary>
    private Txn PrepareSetAcl(string path, IReadOnlyList<Acl> acl, int version, SessionContext s, long zxid)
    {
        if (!SessionLive(s.SessionId)) return Fail(ErrorCode.SessionExpired);
        if (PathRules.Validate(path) is not null) return Fail(ErrorCode.BadArguments);
        var fixedAcl = AclFixup.Normalize(acl, s.AuthIds);
        if (fixedAcl is null) return Fail(ErrorCode.InvalidAcl);
        var node = Lookup(path);
        if (node is null) return Fail(ErrorCode.NoNode);
        if (!AclCheck.Allowed(node.Acl, Perms.Admin, s.AuthIds)) return Fail(ErrorCode.NoAuth);
        if (version != -1 && version != node.Aversion) return Fail(ErrorCode.BadVersion);
        int newAversion = unchecked(node.Aversion + 1);
        Stage(node with { Zxid = zxid, Aversion = newAversion, Acl = fixedAcl });
        return new SetAclTxn(path, fixedAcl, newAversion);
    }

    /// <summary>Multi-only version check. Order: session → path valid → node (NONODE) → READ (NOAUTH) → version.</summary>
    private Txn PrepareCheck(string path, int version, SessionContext s)
    {
        if (!SessionLive(s.SessionId)) return Fail(ErrorCode.SessionExpired);
        if (PathRules.Validate(path) is not null) return Fail(ErrorCode.BadArguments);
        var node = Lookup(path);
        if (node is null) return Fail(ErrorCode.NoNode);
        if (!AclCheck.Allowed(node.Acl, Perms.Read, s.AuthIds)) return Fail(ErrorCode.NoAuth);
        if (version != -1 && version != node.Version) return Fail(ErrorCode.BadVersion);
        return new CheckVersionTxn(path, node.Version);
    }
}

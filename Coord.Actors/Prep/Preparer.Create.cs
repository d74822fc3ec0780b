using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Prep;

public sealed partial class Preparer
{
    /// <summary>
    /// pRequest2TxnCreate, checks in ZooKeeper's order: flag valid → TTL enabled (UNIMPLEMENTED) → TTL value
    /// (BADARGUMENTS) → session → '/' present and no NUL (BADARGUMENTS) → ACL (INVALIDACL) → parent exists
    /// (NONODE) → CREATE on parent (NOAUTH) → sequence suffix → full path (BADARGUMENTS) → exists (NODEEXISTS)
    /// → ephemeral parent (NOCHILDRENFOREPHEMERALS).
    /// </summary>
    private Txn PrepareCreate(OpCode op, string path, byte[]? data, IReadOnlyList<Acl> acl, int flags, long ttl,
        SessionContext s, long zxid)
    {
        if (!CreateModes.IsValid(flags)) return Fail(ErrorCode.BadArguments);
        var mode = (CreateMode)flags;
        bool isTtl = CreateModes.IsTtl(mode);
        if (isTtl && !_settings.ExtendedTypesEnabled) return Fail(ErrorCode.Unimplemented);
        // EphemeralType.validateTTL: a TTL mode needs 0 < ttl <= 2^40-1; other modes must not carry one.
        if (isTtl ? !EphemeralOwners.IsValidTtl(ttl) : ttl >= 0 || op == OpCode.CreateTtl) return Fail(ErrorCode.BadArguments);
        if (!SessionLive(s.SessionId)) return Fail(ErrorCode.SessionExpired);

        int lastSlash = path.LastIndexOf('/');
        if (lastSlash < 0 || path.Contains('\0')) return Fail(ErrorCode.BadArguments);
        var fixedAcl = AclFixup.Normalize(acl, s.AuthIds);
        if (fixedAcl is null) return Fail(ErrorCode.InvalidAcl);
        var parent = Lookup(ParentOf(path, lastSlash));
        if (parent is null) return Fail(ErrorCode.NoNode);
        if (!AclCheck.Allowed(parent.Acl, Perms.Create, s.AuthIds)) return Fail(ErrorCode.NoAuth);

        // The counter counts every create under the parent, sequential or not.
        string finalPath = CreateModes.IsSequential(mode) ? path + PathRules.SequenceSuffix(parent.StoredCversion) : path;
        if (PathRules.Validate(finalPath) is not null) return Fail(ErrorCode.BadArguments);
        if (Lookup(finalPath) is not null) return Fail(ErrorCode.NodeExists);
        if (EphemeralOwners.IsSession(parent.EphemeralOwner)) return Fail(ErrorCode.NoChildrenForEphemerals);

        long owner = op == OpCode.CreateContainer || mode == CreateMode.Container ? EphemeralOwners.Container
            : isTtl ? EphemeralOwners.ForTtl(ttl)
            : CreateModes.IsEphemeral(mode) ? s.SessionId
            : 0;
        int newCversion = unchecked(parent.StoredCversion + 1);
        Stage(parent with { Zxid = zxid, StoredCversion = newCversion, ChildCount = parent.ChildCount + 1 });
        Stage(new PendingNode(zxid, finalPath, true, 0, 0, 0, 0, owner, fixedAcl));
        return new CreateTxn(finalPath, data, fixedAcl, owner, newCversion);
    }
}

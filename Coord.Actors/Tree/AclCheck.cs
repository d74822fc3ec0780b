using Coord.Protocol;

namespace Coord.Actors.Tree;

/// <summary>ZooKeeperServer.checkACL. ACLs are per node and never inherited.</summary>
public static class AclCheck
{
    public const string SuperScheme = "super";

    /// <summary>
    /// Allowed when the caller holds a super id, or the ACL is empty, or an entry carrying any bit of
    /// <paramref name="perm"/> names world:anyone or one of the caller's ids (digest: exact string; ip: prefix).
    /// </summary>
    public static bool Allowed(IReadOnlyList<Acl> acl, Perms perm, IReadOnlyList<Id> authIds)
    {
        if (acl.Count == 0) return true;
        foreach (var id in authIds)
            if (id.Scheme == SuperScheme) return true;
        foreach (var a in acl)
        {
            if ((a.Perms & perm) == 0) continue;
            if (a.Id.Scheme == "world" && a.Id.Ident == "anyone") return true;
            foreach (var id in authIds)
                if (id.Scheme == a.Id.Scheme && Matches(a.Id.Scheme, id.Ident, a.Id.Ident)) return true;
        }
        return false;
    }

    private static bool Matches(string scheme, string callerId, string aclId) => scheme switch
    {
        "ip" => IpAddressMatch.Matches(callerId, aclId),
        // digest, sasl and x509 providers all match by exact id.
        "digest" or "sasl" or "x509" => callerId == aclId,
        _ => false,
    };
}

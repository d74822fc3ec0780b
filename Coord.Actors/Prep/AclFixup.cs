using Coord.Actors.Tree;
using Coord.Protocol;

namespace Coord.Actors.Prep;

/// <summary>
/// PrepRequestProcessor.fixupACL: removes duplicates, rejects an empty list, expands <c>auth:</c> into every
/// authenticated id of the caller (digest ids; ip and super ids are not "authenticated" providers), and
/// accepts only world:anyone, valid digest ids (user:hash) and valid ip ids (addr[/bits]).
/// </summary>
public static class AclFixup
{
    /// <summary>The normalised list, or null when ZooKeeper would answer INVALIDACL.</summary>
    public static IReadOnlyList<Acl>? Normalize(IReadOnlyList<Acl>? acl, IReadOnlyList<Id> authIds)
    {
        if (acl is null || acl.Count == 0) return null;
        // Most creates carry one world:anyone or digest entry: a list with nothing to expand or drop is kept as
        // it is (the tree interns it), so a create pays no set or copy for its ACL.
        if (IsAlreadyNormal(acl)) return acl;
        var result = new List<Acl>(acl.Count);
        foreach (var a in acl.Distinct())
        {
            if (a?.Id?.Scheme is null || a.Id.Ident is null) return null;
            switch (a.Id.Scheme)
            {
                case "world" when a.Id.Ident == "anyone":
                    result.Add(a);
                    break;
                case "auth":
                    bool any = false;
                    foreach (var id in authIds)
                    {
                        if (id.Scheme != "digest") continue;
                        result.Add(new Acl(a.Perms, id));
                        any = true;
                    }
                    if (!any) return null;
                    break;
                case "digest" when DigestAuth.IsValidId(a.Id.Ident):
                case "ip" when IpAddressMatch.IsValid(a.Id.Ident):
                    result.Add(a);
                    break;
                default:
                    return null;
            }
        }
        return result;
    }

    /// <summary>A short list of valid, distinct, non-<c>auth</c> entries: what <see cref="Normalize"/> would return unchanged.</summary>
    private static bool IsAlreadyNormal(IReadOnlyList<Acl> acl)
    {
        if (acl.Count > 4) return false;
        for (int i = 0; i < acl.Count; i++)
        {
            var a = acl[i];
            if (a?.Id?.Scheme is null || a.Id.Ident is null) return false;
            bool valid = a.Id.Scheme switch
            {
                "world" => a.Id.Ident == "anyone",
                "digest" => DigestAuth.IsValidId(a.Id.Ident),
                "ip" => IpAddressMatch.IsValid(a.Id.Ident),
                _ => false,
            };
            if (!valid) return false;
            for (int j = 0; j < i; j++)
                if (a.Equals(acl[j])) return false;
        }
        return true;
    }
}

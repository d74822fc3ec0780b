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
}

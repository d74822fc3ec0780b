using Coord.Protocol;

namespace Coord.Actors.Prep;

/// <summary>
/// The projected state of one path after the txn with <see cref="Zxid"/> (ZooKeeper's ChangeRecord): only
/// what prep decisions need. <see cref="Exists"/> false marks a pending delete.
/// </summary>
internal sealed record PendingNode(
    long Zxid, string Path, bool Exists, int Version, int Aversion, int StoredCversion, int ChildCount,
    long EphemeralOwner, IReadOnlyList<Acl> Acl)
{
    public static PendingNode Deleted(long zxid, string path) => new(zxid, path, false, 0, 0, 0, 0, 0, []);

    public override string ToString() =>
        Exists ? $"0x{Zxid:x} {Path} v={Version} av={Aversion} cv={StoredCversion} kids={ChildCount} owner=0x{EphemeralOwner:x}"
               : $"0x{Zxid:x} {Path} deleted";
}

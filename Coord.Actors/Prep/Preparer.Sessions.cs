using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Prep;

public sealed partial class Preparer
{
    // Sessions whose close is prepared but not applied, with the close's zxid: their requests get SESSIONEXPIRED.
    private readonly Dictionary<long, long> _closing = [];

    /// <summary>
    /// Close or expiry: lists every ephemeral the session will own once the outstanding txns are applied
    /// (applied ones, plus pending creates, minus pending deletes), in the order ZooKeeper deletes them
    /// (the iteration order of its HashSet copy, which clients see as the order of the watch events).
    /// An unknown or already-closing session yields ErrorTxn(SESSIONEXPIRED).
    /// </summary>
    public Txn PrepareCloseSession(long sessionId, long zxid)
    {
        TakeZxid(zxid);
        if (!SessionLive(sessionId)) return Fail(ErrorCode.SessionExpired);

        // Creation order stands in for the insertion order of ZooKeeper's per-session set; pending creates and
        // deletes are applied to its clone in the order they were prepared.
        var applied = _tree.EphemeralsOf(sessionId).OrderBy(p => _tree.Get(p)!.Stat.Czxid).ToList();
        var held = new HashSet<string>(applied, StringComparer.Ordinal);
        var gone = new HashSet<string>(StringComparer.Ordinal);
        var added = new List<string>();
        foreach (var (path, rec) in _latest.OrderBy(kv => kv.Value.Zxid))
        {
            if (rec.Exists && rec.EphemeralOwner == sessionId)
            {
                if (held.Add(path)) added.Add(path);
                gone.Remove(path);
            }
            else
            {
                gone.Add(path);
            }
        }
        var paths = JavaHashOrder.HashSetCloneOrder(applied, _tree.EphemeralsHighWater(sessionId), added)
            .Where(p => !gone.Contains(p)).ToList();

        _staged.Clear();
        foreach (var path in paths)
        {
            int lastSlash = path.LastIndexOf('/');
            var parent = Lookup(ParentOf(path, lastSlash))
                         ?? throw new InvalidOperationException($"prep state has ephemeral {path} without its parent");
            StageDelete(parent, path, zxid);
        }
        Commit();
        _closing[sessionId] = zxid;
        return new CloseSessionTxn(sessionId, paths);
    }
}

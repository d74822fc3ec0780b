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

        // Creation order stands in for the insertion order of ZooKeeper's per-session set.
        var created = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var path in _tree.EphemeralsOf(sessionId)) created[path] = _tree.Get(path)!.Stat.Czxid;
        foreach (var (path, rec) in _latest)
        {
            if (rec.Exists && rec.EphemeralOwner == sessionId) created.TryAdd(path, rec.Zxid);
            else created.Remove(path);
        }
        var paths = JavaHashOrder.HashSetCopyOrder(
            created.OrderBy(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).ToList());

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

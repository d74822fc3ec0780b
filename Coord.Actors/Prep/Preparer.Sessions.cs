using Coord.Actors.Txns;
using Coord.Client.Protocol;

namespace Coord.Actors.Prep;

public sealed partial class Preparer
{
    // Sessions whose close is prepared but not applied, with the close's zxid: their requests get SESSIONEXPIRED.
    private readonly Dictionary<long, long> _closing = [];

    /// <summary>
    /// Close or expiry: lists every ephemeral the session will own once the outstanding txns are applied
    /// (applied ones, plus pending creates, minus pending deletes), sorted. An unknown or already-closing
    /// session yields ErrorTxn(SESSIONEXPIRED).
    /// </summary>
    public Txn PrepareCloseSession(long sessionId, long zxid)
    {
        TakeZxid(zxid);
        if (!SessionLive(sessionId)) return Fail(ErrorCode.SessionExpired);

        var paths = new SortedSet<string>(_tree.EphemeralsOf(sessionId), StringComparer.Ordinal);
        foreach (var (path, rec) in _latest)
        {
            if (rec.Exists && rec.EphemeralOwner == sessionId) paths.Add(path);
            else paths.Remove(path);
        }

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
        return new CloseSessionTxn(sessionId, paths.ToList());
    }
}

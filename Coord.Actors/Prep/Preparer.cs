using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Prep;

/// <summary>
/// Resolves write requests into txns against the tree plus outstanding changes, like ZooKeeper's
/// PrepRequestProcessor. Contract: one caller; zxids passed to Prepare/PrepareCloseSession strictly increase;
/// the txns are applied to the same <see cref="DataTree"/> in zxid order and each application is reported
/// with <see cref="Applied"/>. Bad client input never throws: it yields an <see cref="ErrorTxn"/> (or a failed
/// <see cref="MultiTxn"/>), which still consumes its zxid.
/// </summary>
public sealed partial class Preparer
{
    private readonly DataTree _tree;
    private readonly PrepSettings _settings;
    // Latest projected record per path, and every record in zxid order for dropping on Applied.
    private readonly Dictionary<string, PendingNode> _latest = new(StringComparer.Ordinal);
    private readonly Queue<PendingNode> _log = new();
    // Changes of the request being prepared; committed only if the whole request succeeds.
    private readonly Dictionary<string, PendingNode> _staged = new(StringComparer.Ordinal);
    private long _lastZxid;

    public Preparer(DataTree tree, PrepSettings settings)
    {
        _tree = tree ?? throw new ArgumentNullException(nameof(tree));
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
    }

    /// <summary>Records not yet known to be applied.</summary>
    public int OutstandingChanges => _log.Count;

    /// <summary>
    /// op: Create, Create2, CreateContainer, CreateTtl, Delete, DeleteContainer, SetData, SetAcl or Multi with
    /// its decoded request record. <paramref name="nowMs"/> is the leader's wall time, which the caller also puts
    /// in the txn header (ctime/mtime come from there).
    /// </summary>
    public Txn Prepare(OpCode op, object request, SessionContext session, long zxid, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(session);
        TakeZxid(zxid);
        _staged.Clear();
        var txn = op == OpCode.Multi
            ? (request is MultiRequest m ? PrepareMulti(m, session, zxid) : Fail(ErrorCode.MarshallingError))
            : PrepareOp(op, request, session, zxid, inMulti: false);
        if (txn is ErrorTxn || txn is MultiTxn { Failed: true }) _staged.Clear();
        else Commit();
        return txn;
    }

    /// <summary>The txn has been applied to the tree: its records (and older ones) are now visible there.</summary>
    public void Applied(long zxid)
    {
        while (_log.Count > 0 && _log.Peek().Zxid <= zxid)
        {
            var rec = _log.Dequeue();
            // Drop the path's entry only if no later record replaced it.
            if (_latest.TryGetValue(rec.Path, out var cur) && ReferenceEquals(cur, rec)) _latest.Remove(rec.Path);
        }
        if (_closing.Count == 0) return;
        foreach (var (sid, closeZxid) in _closing.ToList())
            if (closeZxid <= zxid) _closing.Remove(sid);
    }

    private void TakeZxid(long zxid)
    {
        if (zxid <= _lastZxid || zxid <= _tree.LastAppliedZxid)
            throw new InvalidOperationException(
                $"zxid 0x{zxid:x} must exceed the last prepared 0x{_lastZxid:x} and applied 0x{_tree.LastAppliedZxid:x}");
        _lastZxid = zxid;
    }

    private Txn PrepareOp(OpCode op, object request, SessionContext s, long zxid, bool inMulti) => (op, request) switch
    {
        (OpCode.Create or OpCode.Create2 or OpCode.CreateContainer, CreateRequest r) =>
            PrepareCreate(op, r.Path, r.Data, r.Acl, r.Flags, -1, s, zxid),
        (OpCode.CreateTtl, CreateTtlRequest r) => PrepareCreate(op, r.Path, r.Data, r.Acl, r.Flags, r.Ttl, s, zxid),
        (OpCode.Delete, DeleteRequest r) => PrepareDelete(r.Path, r.Version, s, zxid),
        (OpCode.DeleteContainer, PathRequest r) when !inMulti => PrepareDeleteContainer(r.Path, zxid),
        (OpCode.DeleteContainer, DeleteRequest r) when !inMulti => PrepareDeleteContainer(r.Path, zxid),
        (OpCode.SetData, SetDataRequest r) => PrepareSetData(r.Path, r.Data, r.Version, s, zxid),
        (OpCode.SetAcl, SetAclRequest r) when !inMulti => PrepareSetAcl(r.Path, r.Acl, r.Version, s, zxid),
        (OpCode.Check, CheckVersionRequest r) when inMulti => PrepareCheck(r.Path, r.Version, s),
        // An ensemble member's sync: a no-op in the total order; applied, it tells the member that asked that
        // everything committed before the sync reached the leader is applied there too (ZooKeeper's sync).
        (OpCode.Sync, PathRequest) when !inMulti => new ErrorTxn(ErrorCode.Ok),
        (OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl or OpCode.Delete
            or OpCode.DeleteContainer or OpCode.SetData or OpCode.SetAcl, _) when !inMulti => Fail(ErrorCode.MarshallingError),
        _ => Fail(inMulti ? ErrorCode.MarshallingError : ErrorCode.Unimplemented),
    };

    private static ErrorTxn Fail(ErrorCode err) => new(err);

    /// <summary>The path as prep sees it: staged, then outstanding, then the tree. Null if absent or pending delete.</summary>
    private PendingNode? Lookup(string path)
    {
        if (_staged.TryGetValue(path, out var rec) || _latest.TryGetValue(path, out rec)) return rec.Exists ? rec : null;
        if (_tree.Get(path) is not { } n) return null;
        var st = n.Stat;
        return new PendingNode(0, path, true, st.Version, st.Aversion, n.StoredCversion, st.NumChildren, n.EphemeralOwnerRaw, n.Acl);
    }

    private void Stage(PendingNode rec) => _staged[rec.Path] = rec;

    private void Commit()
    {
        foreach (var rec in _staged.Values)
        {
            _latest[rec.Path] = rec;
            _log.Enqueue(rec);
        }
        _staged.Clear();
    }

    /// <summary>ZooKeeper's checkSession: the session must be live and not closing.</summary>
    private bool SessionLive(long sessionId) => _tree.Sessions.ContainsKey(sessionId) && !_closing.ContainsKey(sessionId);

    /// <summary>Java's path.substring(0, lastIndexOf('/')) with "" meaning the root.</summary>
    private static string ParentOf(string path, int lastSlash) => lastSlash == 0 ? PathRules.Root : path[..lastSlash];
}

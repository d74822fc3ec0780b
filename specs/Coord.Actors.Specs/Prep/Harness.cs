using Coord.Actors.Prep;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Specs.Prep;

/// <summary>
/// Drives a Preparer and a DataTree the way the sequencer will: prepare with the next zxid, apply in order,
/// report Applied. Requests can be prepared ahead (pipelining) and applied later.
/// </summary>
internal sealed class Harness
{
    private readonly Queue<SequencedTxn> _prepared = new();
    private long _zxid;

    public Harness(bool ttlEnabled = false)
    {
        Prep = new Preparer(Tree, new PrepSettings(ttlEnabled));
    }

    public DataTree Tree { get; } = new();
    public Preparer Prep { get; }
    public long NowMs { get; set; } = 1_000;
    public long LastZxid => _zxid;

    public SessionContext Session(long id, params Id[] ids)
    {
        Apply(new SequencedTxn(new TxnHeader(id, 0, ++_zxid, NowMs), new CreateSessionTxn(id, 30_000, new byte[16])));
        return new SessionContext(id, ids);
    }

    public Txn PrepareOnly(OpCode op, object request, SessionContext s)
    {
        long zxid = ++_zxid;
        var txn = Prep.Prepare(op, request, s, zxid, NowMs);
        _prepared.Enqueue(new SequencedTxn(new TxnHeader(s.SessionId, 1, zxid, NowMs), txn));
        return txn;
    }

    public Txn PrepareClose(long sessionId)
    {
        long zxid = ++_zxid;
        var txn = Prep.PrepareCloseSession(sessionId, zxid);
        _prepared.Enqueue(new SequencedTxn(new TxnHeader(sessionId, 0, zxid, NowMs), txn));
        return txn;
    }

    public ApplyResult ApplyNext() => Apply(_prepared.Dequeue());

    public List<ApplyResult> ApplyAll()
    {
        var list = new List<ApplyResult>();
        while (_prepared.Count > 0) list.Add(ApplyNext());
        return list;
    }

    private ApplyResult Apply(SequencedTxn t)
    {
        var r = Tree.Apply(t);
        Prep.Applied(t.Header.Zxid);
        return r;
    }

    /// <summary>Prepare and apply at once; the single op's result.</summary>
    public OpResult Run(OpCode op, object request, SessionContext s)
    {
        PrepareOnly(op, request, s);
        return ApplyNext().Results.Single();
    }

    public ErrorCode Err(OpCode op, object request, SessionContext s) => Run(op, request, s).Err;

    public Stat StatOf(string path) => Tree.Get(path)?.Stat ?? throw new InvalidOperationException($"{path} missing");

    // Request builders.
    public static CreateRequest Create(string path, string? data = null, CreateMode mode = CreateMode.Persistent,
        IReadOnlyList<Acl>? acl = null) =>
        new(path, data is null ? null : System.Text.Encoding.UTF8.GetBytes(data), acl ?? Acl.OpenAclUnsafe, (int)mode);

    public static DeleteRequest Delete(string path, int version = -1) => new(path, version);
    public static SetDataRequest SetData(string path, string data, int version = -1) =>
        new(path, System.Text.Encoding.UTF8.GetBytes(data), version);
    public static SetAclRequest SetAcl(string path, IReadOnlyList<Acl> acl, int version = -1) => new(path, acl, version);
    public static MultiRequest Multi(params (OpCode Op, IPathRequest Req)[] ops) =>
        new(ops.Select(o => new MultiOp(o.Op, o.Req)).ToList());

    public static readonly Id Alice = new("digest", DigestAuth.Digest("alice:secret"));
    public static readonly Id Bob = new("digest", DigestAuth.Digest("bob:secret"));
    public static readonly IReadOnlyList<Acl> AliceOnly = [new(Perms.All, Alice)];
}

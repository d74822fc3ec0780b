using Coord.Actors.Prep;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Specs.Snapshots;

/// <summary>
/// A live tree driven through the Preparer by a seeded random op mix (every node kind, null/empty/real data,
/// several ACLs, multis, session closes that delete ephemerals), keeping every applied txn as a journal would.
/// </summary>
internal sealed class History
{
    private static readonly string[] Names = ["a", "b", "c", "q-"];
    private static readonly IReadOnlyList<Acl>[] Acls =
        [Acl.OpenAclUnsafe, Acl.ReadAclUnsafe, [new(Perms.All, new Id("digest", "alice:x")), new(Perms.Read, Id.Anyone)]];

    private readonly Random _rng;
    private readonly Preparer _prep;
    private readonly List<long> _sessions = [];
    private long _nextSession = 0x1000;

    public History(int seed)
    {
        _rng = new Random(seed);
        _prep = new Preparer(Tree, new PrepSettings(ExtendedTypesEnabled: true));
        for (int i = 0; i < 3; i++) NewSession();
    }

    public DataTree Tree { get; } = new();
    public List<SequencedTxn> Txns { get; } = [];
    public long Zxid { get; private set; }

    /// <summary>Applies <paramref name="count"/> random writes (failed ones too: they consume a zxid).</summary>
    public void Run(int count)
    {
        for (int i = 0; i < count; i++) Step();
    }

    private void NewSession()
    {
        long id = _nextSession++;
        _sessions.Add(id);
        var pw = new byte[16];
        _rng.NextBytes(pw);
        Append(id, new CreateSessionTxn(id, 5_000 + _rng.Next(10_000), pw));
    }

    private string RandomPath()
    {
        int depth = 1 + _rng.Next(3);
        return string.Concat(Enumerable.Range(0, depth).Select(_ => "/" + Names[_rng.Next(Names.Length)]));
    }

    private byte[]? RandomData() => _rng.Next(3) switch { 0 => null, 1 => [], _ => [(byte)_rng.Next(256), 7] };

    private void Step()
    {
        long sid = _sessions[_rng.Next(_sessions.Count)];
        var s = new SessionContext(sid, []);
        string path = RandomPath();
        var acl = Acls[_rng.Next(Acls.Length)];
        (OpCode op, object req) = _rng.Next(10) switch
        {
            0 or 1 or 2 => (OpCode.Create, (object)new CreateRequest(path, RandomData(), acl, _rng.Next(4))),
            3 => (OpCode.CreateContainer, new CreateRequest(path, RandomData(), acl, 4)),
            4 => (OpCode.CreateTtl, new CreateTtlRequest(path, RandomData(), acl, 5, 1 + _rng.Next(1000))),
            5 => (OpCode.Delete, new DeleteRequest(path, -1)),
            6 => (OpCode.SetData, new SetDataRequest(path, RandomData(), -1)),
            7 => (OpCode.SetAcl, new SetAclRequest(path, acl, -1)),
            8 => (OpCode.Multi, new MultiRequest([
                new(OpCode.Create, new CreateRequest(path, RandomData(), acl, 0)),
                new(OpCode.SetData, new SetDataRequest(RandomPath(), RandomData(), -1))])),
            _ => (OpCode.CloseSession, new object()),
        };
        if (op == OpCode.CloseSession)
        {
            if (_sessions.Count > 1)
            {
                _sessions.Remove(sid);
                Append(sid, _prep.PrepareCloseSession(sid, Zxid + 1));
            }
            NewSession();
            return;
        }
        Append(sid, _prep.Prepare(op, req, s, Zxid + 1, Zxid * 10));
    }

    private void Append(long sid, Txn txn)
    {
        var t = new SequencedTxn(new TxnHeader(sid, 1, ++Zxid, Zxid * 10), txn);
        Tree.Apply(t);
        _prep.Applied(t.Header.Zxid);
        Txns.Add(t);
    }
}

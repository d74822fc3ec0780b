using Coord.Actors.Prep;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;
using FsCheck;
using FsCheck.Fluent;

namespace Coord.Actors.Specs.Prep;

/// <summary>
/// Random op sequences, prepared in pipelined batches and applied in zxid order, keep the tree's invariants;
/// replaying the journaled bytes on a fresh tree reaches the same digest.
/// </summary>
public sealed class InvariantProperties
{
    private static readonly string[] Paths = ["/a", "/a/b", "/a/b/c", "/d", "/d/e", "/a/", "/d/"];

    /// <summary>Kind, path index, session index, version/flag bits: decoded by <see cref="Step"/>.</summary>
    public sealed record Op(int Kind, int PathIx, int SessionIx, int Bits);

    private static readonly Gen<Op> OpGen =
        from kind in Gen.Choose(0, 11)
        from path in Gen.Choose(0, Paths.Length - 1)
        from session in Gen.Choose(0, 2)
        from bits in Gen.Choose(0, 15)
        select new Op(kind, path, session, bits);

    [Fact]
    public void Random_histories_keep_invariants_and_replay_to_the_same_digest()
    {
        var arb = Arb.From(Gen.ListOf(OpGen).Select(l => l.ToArray()));
        Prop.ForAll(arb, ops => { Run(ops); return true; })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(120));
    }

    private sealed class World
    {
        public readonly DataTree Tree = new();
        public readonly Preparer Prep;
        public readonly List<byte[]> Journal = [];
        public readonly Queue<SequencedTxn> Pending = new();
        public readonly List<long> SessionIds = [];
        public readonly Dictionary<(string, long), long> Pzxids = [];
        public readonly HashSet<string> SequentialNames = [];
        public long Zxid;
        public long NextSession = 0x100;
        public World() => Prep = new Preparer(Tree, new PrepSettings(true));
    }

    private static void Run(Op[] ops)
    {
        var w = new World();
        for (int i = 0; i < 3; i++) NewSession(w);
        Flush(w);
        foreach (var op in ops)
        {
            Step(w, op);
            if ((op.Bits & 8) != 0) Flush(w);
        }
        Flush(w);

        var replay = new DataTree();
        foreach (var bytes in w.Journal) replay.Apply(TxnCodec.Read(bytes));
        Assert.Equal(w.Tree.Digest(), replay.Digest());
        Assert.Equal(w.Tree.LastAppliedZxid, replay.LastAppliedZxid);
        Assert.Equal(0, w.Prep.OutstandingChanges);
    }

    private static void NewSession(World w)
    {
        long id = w.NextSession++;
        w.SessionIds.Add(id);
        w.Pending.Enqueue(new SequencedTxn(new TxnHeader(id, 0, ++w.Zxid, 0), new CreateSessionTxn(id, 10_000, new byte[16])));
    }

    private static void Step(World w, Op op)
    {
        string path = Paths[op.PathIx];
        long sid = w.SessionIds[^(1 + op.SessionIx % Math.Min(3, w.SessionIds.Count))];
        var s = new SessionContext(sid, []);
        int version = (op.Bits & 4) != 0 ? -1 : op.Bits & 3;
        long now = w.Zxid * 10;
        object? req = null;
        OpCode code = OpCode.Create;
        switch (op.Kind)
        {
            case 0 or 1:
                var mode = path.EndsWith('/') ? CreateMode.PersistentSequential : (CreateMode)(op.Bits & 3);
                req = new CreateRequest(path, [(byte)op.Bits], Acl.OpenAclUnsafe, (int)mode);
                break;
            case 2: code = OpCode.CreateContainer; req = new CreateRequest(path, null, Acl.OpenAclUnsafe, 4); break;
            case 3: code = OpCode.CreateTtl; req = new CreateTtlRequest(path, null, Acl.OpenAclUnsafe, 5, 1 + op.Bits); break;
            case 4 or 5: code = OpCode.Delete; req = new DeleteRequest(path, version); break;
            case 6: code = OpCode.SetData; req = new SetDataRequest(path, [1, 2], version); break;
            case 7: code = OpCode.SetAcl; req = new SetAclRequest(path, Acl.OpenAclUnsafe, version); break;
            case 8:
                code = OpCode.Multi;
                req = new MultiRequest([new(OpCode.Create, new CreateRequest(path, null, Acl.OpenAclUnsafe, op.Bits & 1)),
                    new(OpCode.SetData, new SetDataRequest(Paths[(op.PathIx + 1) % Paths.Length], null, version)),
                    new(OpCode.Check, new CheckVersionRequest(path, -1))]);
                break;
            case 9:
                foreach (var c in ContainerScan.Candidates(w.Tree, now, 5))
                    Enqueue(w, 0, w.Prep.Prepare(OpCode.DeleteContainer, new PathRequest(c), new SessionContext(0, []), ++w.Zxid, now), now);
                return;
            case 10: Enqueue(w, sid, w.Prep.PrepareCloseSession(sid, ++w.Zxid), now); NewSession(w); return;
            default: Flush(w); return;
        }
        Enqueue(w, sid, w.Prep.Prepare(code, req, s, ++w.Zxid, now), now);
    }

    private static void Enqueue(World w, long sid, Txn txn, long now) =>
        w.Pending.Enqueue(new SequencedTxn(new TxnHeader(sid, 1, w.Zxid, now), txn));

    private static void Flush(World w)
    {
        while (w.Pending.Count > 0)
        {
            var t = w.Pending.Dequeue();
            var bytes = TxnCodec.ToBytes(t);
            w.Journal.Add(bytes);
            var result = w.Tree.Apply(TxnCodec.Read(bytes));
            w.Prep.Applied(t.Header.Zxid);
            // A recreated parent restarts its counter: names must be unique per parent incarnation.
            foreach (var trig in result.Triggers.Where(x => x.Type == EventType.NodeDeleted))
                w.SequentialNames.RemoveWhere(n => n.StartsWith(trig.Path + "/", StringComparison.Ordinal));
            foreach (var r in result.Results)
                if (r.Type is OpCode.Create && r.Path!.Length > 10 && r.Path[^10..].All(char.IsAsciiDigit))
                    Assert.True(w.SequentialNames.Add(r.Path), $"sequential name {r.Path} repeated");
            CheckInvariants(w);
        }
    }

    private static void CheckInvariants(World w)
    {
        var t = w.Tree;
        int count = 0, ephemerals = 0;
        var stack = new Stack<INodeView>();
        stack.Push(t.Get("/")!);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            count++;
            var st = n.Stat;
            Assert.Equal(n.Children.Count, st.NumChildren);
            Assert.Equal(unchecked(n.StoredCversion * 2 - n.Children.Count), st.Cversion);
            Assert.True(n.StoredCversion >= 0);
            if (EphemeralOwners.IsSession(n.EphemeralOwnerRaw))
            {
                ephemerals++;
                Assert.True(t.Sessions.ContainsKey(n.EphemeralOwnerRaw), $"{n.Path} outlived session 0x{n.EphemeralOwnerRaw:x}");
                Assert.Contains(n.Path, t.EphemeralsOf(n.EphemeralOwnerRaw));
                Assert.Empty(n.Children);
            }
            var key = (n.Path, st.Czxid);
            if (w.Pzxids.TryGetValue(key, out long last)) Assert.True(st.Pzxid >= last, $"pzxid of {n.Path} went back");
            w.Pzxids[key] = st.Pzxid;
            foreach (var c in n.Children)
                stack.Push(t.Get(n.Path == "/" ? "/" + c : n.Path + "/" + c) ?? throw new InvalidOperationException($"dangling child {c} of {n.Path}"));
        }
        Assert.Equal(t.NodeCount, count);
        Assert.Equal(t.EphemeralCount, ephemerals);
    }
}

using Coord.Actors.Specs.Prep;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using static Coord.Actors.Specs.Prep.Harness;

namespace Coord.Actors.Specs.Tree;

public sealed class DataTreeSpecs
{
    [Fact]
    public void Fresh_tree_holds_the_system_nodes_and_root_reports_cversion_minus_one()
    {
        var t = new DataTree();
        Assert.Equal(4, t.NodeCount);
        var root = t.Get("/")!;
        Assert.Equal(-1, root.Stat.Cversion);
        Assert.Equal(1, root.Stat.NumChildren);
        Assert.Equal(0, root.StoredCversion);
        Assert.Equal(new Stat(0, 0, 0, 0, 0, -1, 0, 0, 0, 1, 0), root.Stat);
        Assert.Equal(["config", "quota"], t.Get("/zookeeper")!.Children);
        var config = t.Get("/zookeeper/config")!;
        Assert.Equal(Acl.ReadAclUnsafe, config.Acl);
        Assert.Equal([], config.Data!);
        Assert.Equal(0, t.LastAppliedZxid);
        Assert.Equal("/".Length + "/zookeeper".Length + "/zookeeper/quota".Length + "/zookeeper/config".Length, t.ApproximateDataSize);
    }

    [Fact]
    public void Create_sets_node_stat_and_bumps_parent_cversion_pzxid_and_numChildren_only()
    {
        var h = new Harness();
        var s = h.Session(1);
        h.Run(OpCode.Create, Create("/p", "x"), s);
        var before = h.StatOf("/p");
        h.NowMs = 5_000;
        var r = h.Run(OpCode.Create, Create("/p/c", "hello"), s);
        long z = h.LastZxid;

        Assert.Equal(new Stat(z, z, 5_000, 5_000, 0, 0, 0, 0, 5, 0, z), r.Stat);
        Assert.Equal("/p/c", r.Path);
        var parent = h.StatOf("/p");
        Assert.Equal(before with { Cversion = 1, NumChildren = 1, Pzxid = z }, parent);
    }

    [Fact]
    public void Reported_cversion_counts_creates_plus_deletes()
    {
        var h = new Harness();
        var s = h.Session(1);
        h.Run(OpCode.Create, Create("/p"), s);
        h.Run(OpCode.Create, Create("/p/a"), s);
        h.Run(OpCode.Create, Create("/p/b"), s);
        Assert.Equal(2, h.StatOf("/p").Cversion);
        h.Run(OpCode.Delete, Delete("/p/a"), s);
        var p = h.StatOf("/p");
        Assert.Equal(3, p.Cversion);
        Assert.Equal(1, p.NumChildren);
        Assert.Equal(2, h.Tree.Get("/p")!.StoredCversion);
        Assert.Equal(h.LastZxid, p.Pzxid);
        // Root: one create on top of the uncounted /zookeeper.
        Assert.Equal(0, h.StatOf("/").Cversion);
    }

    [Fact]
    public void SetData_changes_mzxid_mtime_version_and_length_but_not_czxid_or_parent()
    {
        var h = new Harness();
        var s = h.Session(1);
        h.Run(OpCode.Create, Create("/a", "x"), s);
        var created = h.StatOf("/a");
        var root = h.StatOf("/");
        h.NowMs = 9_000;
        var r = h.Run(OpCode.SetData, SetData("/a", "four"), s);
        Assert.Equal(created with { Mzxid = h.LastZxid, Mtime = 9_000, Version = 1, DataLength = 4 }, r.Stat);
        Assert.Equal(root, h.StatOf("/"));
    }

    [Fact]
    public void SetAcl_bumps_only_aversion()
    {
        var h = new Harness();
        var s = h.Session(1);
        h.Run(OpCode.Create, Create("/a", "x"), s);
        var created = h.StatOf("/a");
        var r = h.Run(OpCode.SetAcl, SetAcl("/a", Acl.ReadAclUnsafe), s);
        Assert.Equal(created with { Aversion = 1 }, r.Stat);
        Assert.Equal(Acl.ReadAclUnsafe, h.Tree.Get("/a")!.Acl);
    }

    [Fact]
    public void Containers_and_ttl_nodes_report_owner_zero_and_ephemerals_report_the_session()
    {
        var h = new Harness(ttlEnabled: true);
        var s = h.Session(0x77);
        h.Run(OpCode.CreateContainer, Create("/c", mode: CreateMode.Container), s);
        h.Run(OpCode.CreateTtl, new Coord.Protocol.Records.CreateTtlRequest("/t", null, Acl.OpenAclUnsafe, 5, 100), s);
        h.Run(OpCode.Create, Create("/e", mode: CreateMode.Ephemeral), s);
        Assert.Equal(0, h.StatOf("/c").EphemeralOwner);
        Assert.Equal(EphemeralOwners.Container, h.Tree.Get("/c")!.EphemeralOwnerRaw);
        Assert.Equal(0, h.StatOf("/t").EphemeralOwner);
        Assert.Equal(EphemeralOwners.TtlMarker | 100, h.Tree.Get("/t")!.EphemeralOwnerRaw);
        Assert.Equal(0x77, h.StatOf("/e").EphemeralOwner);
        Assert.Equal(["/e"], h.Tree.EphemeralsOf(0x77));
        Assert.Equal(1, h.Tree.EphemeralCount);
    }

    [Fact]
    public void Nodes_with_equal_acls_share_one_list_and_a_changed_acl_is_its_own()
    {
        var h = new Harness();
        var s = h.Session(1);
        h.Run(OpCode.Create, Create("/a", acl: [new Acl(Perms.All, Alice)]), s);
        h.Run(OpCode.Create, Create("/b", acl: [new Acl(Perms.All, Alice)]), s);
        Assert.Same(h.Tree.Get("/a")!.Acl, h.Tree.Get("/b")!.Acl);
        h.Run(OpCode.SetAcl, SetAcl("/b", Acl.ReadAclUnsafe), new Coord.Actors.Prep.SessionContext(1, [Alice]));
        Assert.Equal(Acl.ReadAclUnsafe, h.Tree.Get("/b")!.Acl);
        Assert.Equal([new Acl(Perms.All, Alice)], h.Tree.Get("/a")!.Acl);
    }

    private static List<(string, EventType)> Kinds(ApplyResult r) => r.Triggers.Select(t => (t.Path, t.Type)).ToList();

    [Fact]
    public void Watch_triggers_per_op()
    {
        var h = new Harness();
        var s = h.Session(1);
        h.PrepareOnly(OpCode.Create, Create("/a"), s);
        Assert.Equal([("/a", EventType.NodeCreated), ("/", EventType.NodeChildrenChanged)], Kinds(h.ApplyNext()));
        h.PrepareOnly(OpCode.SetData, SetData("/a", "v"), s);
        var changed = h.ApplyNext();
        Assert.Equal([("/a", EventType.NodeDataChanged)], Kinds(changed));
        Assert.Same(h.Tree.Get("/a")!.Acl, changed.Triggers[0].Acl); // READ on it decides who is told
        h.PrepareOnly(OpCode.SetAcl, SetAcl("/a", Acl.OpenAclUnsafe), s);
        Assert.Empty(h.ApplyNext().Triggers);
        h.PrepareOnly(OpCode.Delete, Delete("/a"), s);
        var deleted = h.ApplyNext();
        Assert.Equal([("/a", EventType.NodeDeleted), ("/", EventType.NodeChildrenChanged)], Kinds(deleted));
        Assert.Equal(Acl.OpenAclUnsafe, deleted.Triggers[0].Acl);
        Assert.Same(h.Tree.Get("/")!.Acl, deleted.Triggers[1].Acl);
        h.PrepareOnly(OpCode.Delete, Delete("/a"), s);
        Assert.Empty(h.ApplyNext().Triggers);
    }

    [Fact]
    public void Close_session_deletes_its_ephemerals_with_the_close_zxid_and_fires_their_triggers()
    {
        var h = new Harness();
        var s = h.Session(5);
        var other = h.Session(6);
        h.Run(OpCode.Create, Create("/g"), s);
        h.Run(OpCode.Create, Create("/g/m1", mode: CreateMode.Ephemeral), s);
        h.Run(OpCode.Create, Create("/g/m2", mode: CreateMode.Ephemeral), s);
        h.Run(OpCode.Create, Create("/g/o", mode: CreateMode.Ephemeral), other);
        var close = h.PrepareClose(5);
        // ZooKeeper's deletion order (its HashSet's), not sorted: see JavaHashOrderSpecs.
        Assert.Equal(new CloseSessionTxn(5, ["/g/m2", "/g/m1"]).ToString(), close.ToString());
        var r = h.ApplyNext();
        Assert.Equal(
            [("/g/m2", EventType.NodeDeleted), ("/g", EventType.NodeChildrenChanged),
             ("/g/m1", EventType.NodeDeleted), ("/g", EventType.NodeChildrenChanged)],
            Kinds(r));
        Assert.False(h.Tree.Sessions.ContainsKey(5));
        Assert.Empty(h.Tree.EphemeralsOf(5));
        Assert.Equal(h.LastZxid, h.StatOf("/g").Pzxid);
        Assert.Equal(["o"], h.Tree.Get("/g")!.Children);
        Assert.Equal(1, h.Tree.EphemeralCount);
    }

    [Fact]
    public void Error_txn_changes_nothing_but_advances_the_applied_zxid()
    {
        var t = new DataTree();
        ulong before = t.Digest();
        var r = t.Apply(new SequencedTxn(new TxnHeader(1, 1, 3, 0), new ErrorTxn(ErrorCode.NoNode)));
        Assert.Equal([OpResult.Error(ErrorCode.NoNode)], r.Results);
        Assert.Equal(3, t.LastAppliedZxid);
        Assert.Equal(before, t.Digest());
    }

    [Fact]
    public void Broken_invariants_throw()
    {
        var t = new DataTree();
        Txn[] bad =
        [
            new CreateTxn("/zookeeper", null, Acl.OpenAclUnsafe, 0, 1),
            new CreateTxn("/x/y", null, Acl.OpenAclUnsafe, 0, 1),
            new CreateTxn("/a", null, Acl.OpenAclUnsafe, 0, 7),
            new CreateTxn("/e", null, Acl.OpenAclUnsafe, 0x99, 1),
            new DeleteTxn("/missing"),
            new DeleteTxn("/zookeeper"),
            new SetDataTxn("/zookeeper", null, 5),
            new CloseSessionTxn(0x99, []),
        ];
        foreach (var txn in bad)
            Assert.Throws<InvalidOperationException>(() => t.Apply(new SequencedTxn(new TxnHeader(0, 0, 10, 0), txn)));
        t.Apply(new SequencedTxn(new TxnHeader(0, 0, 10, 0), new ErrorTxn(ErrorCode.Ok)));
        Assert.Throws<InvalidOperationException>(() => t.Apply(new SequencedTxn(new TxnHeader(0, 0, 10, 0), new ErrorTxn(ErrorCode.Ok))));
    }

    [Fact]
    public void Data_size_tracks_paths_and_data()
    {
        var h = new Harness();
        var s = h.Session(1);
        long start = h.Tree.ApproximateDataSize;
        h.Run(OpCode.Create, Create("/abc", "12345"), s);
        Assert.Equal(start + 4 + 5, h.Tree.ApproximateDataSize);
        h.Run(OpCode.SetData, SetData("/abc", "1"), s);
        Assert.Equal(start + 4 + 1, h.Tree.ApproximateDataSize);
        h.Run(OpCode.Delete, Delete("/abc"), s);
        Assert.Equal(start, h.Tree.ApproximateDataSize);
    }

    [Fact]
    public void Digest_depends_on_state_not_on_history()
    {
        var a = new Harness();
        var b = new Harness();
        var sa = a.Session(1);
        var sb = b.Session(1);
        a.Run(OpCode.Create, Create("/x"), sa);
        a.Run(OpCode.Create, Create("/y"), sa);
        b.Run(OpCode.Create, Create("/x"), sb);
        Assert.NotEqual(a.Tree.Digest(), b.Tree.Digest());
        b.Run(OpCode.Create, Create("/y"), sb);
        Assert.Equal(a.Tree.Digest(), b.Tree.Digest());
        a.Run(OpCode.SetData, SetData("/x", "d"), sa);
        Assert.NotEqual(a.Tree.Digest(), b.Tree.Digest());
    }
}

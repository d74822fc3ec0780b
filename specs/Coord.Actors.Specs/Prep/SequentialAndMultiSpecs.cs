using Coord.Actors.Prep;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;
using static Coord.Actors.Specs.Prep.Harness;

namespace Coord.Actors.Specs.Prep;

public sealed class SequentialAndMultiSpecs
{
    private readonly Harness _h = new();
    private readonly SessionContext _s;

    public SequentialAndMultiSpecs()
    {
        _s = _h.Session(1);
        _h.Run(OpCode.Create, Create("/q"), _s);
    }

    [Fact]
    public void Sequential_suffix_uses_the_parent_counter_shared_with_plain_creates_and_kept_across_deletes()
    {
        Assert.Equal("/q/a0000000000", _h.Run(OpCode.Create, Create("/q/a", mode: CreateMode.PersistentSequential), _s).Path);
        Assert.Equal("/q/a0000000001", _h.Run(OpCode.Create, Create("/q/a", mode: CreateMode.EphemeralSequential), _s).Path);
        _h.Run(OpCode.Create, Create("/q/plain"), _s);
        _h.Run(OpCode.Delete, Delete("/q/plain"), _s);
        Assert.Equal("/q/0000000003", _h.Run(OpCode.Create, Create("/q/", mode: CreateMode.PersistentSequential), _s).Path);
    }

    [Fact]
    public void Multi_applies_all_ops_under_one_zxid_and_later_ops_see_earlier_ones()
    {
        var req = Multi((OpCode.Create, Create("/m", "1")), (OpCode.SetData, SetData("/m", "2", 0)),
            (OpCode.Create2, Create("/m/c")), (OpCode.Check, new CheckVersionRequest("/m", 1)), (OpCode.Delete, Delete("/q")));
        var txn = (MultiTxn)_h.PrepareOnly(OpCode.Multi, req, _s);
        Assert.False(txn.Failed);
        var r = _h.ApplyNext();
        long z = _h.LastZxid;
        Assert.Equal([OpCode.Create, OpCode.SetData, OpCode.Create, OpCode.Check, OpCode.Delete], r.Results.Select(x => x.Type));
        Assert.All(r.Results, x => Assert.Equal(ErrorCode.Ok, x.Err));
        var m = _h.StatOf("/m");
        Assert.Equal((z, z, z, 1), (m.Czxid, m.Mzxid, m.Pzxid, m.Version));
        Assert.Equal(0, r.Results[0].Stat.Version);   // each op's stat is taken when that op applied
        Assert.Equal(
            [("/m", EventType.NodeCreated), ("/", EventType.NodeChildrenChanged), ("/m", EventType.NodeDataChanged),
             ("/m/c", EventType.NodeCreated), ("/m", EventType.NodeChildrenChanged),
             ("/q", EventType.NodeDeleted), ("/", EventType.NodeChildrenChanged)],
            r.Triggers.Select(t => (t.Path, t.Type)));
    }

    [Fact]
    public void Failed_multi_reports_ok_before_the_failure_the_real_code_then_runtime_inconsistency_and_changes_nothing()
    {
        ulong before = _h.Tree.Digest();
        var req = Multi((OpCode.Create, Create("/m")), (OpCode.Create, Create("/m/c")),
            (OpCode.Check, new CheckVersionRequest("/m", 4)), (OpCode.Delete, Delete("/q")));
        var txn = (MultiTxn)_h.PrepareOnly(OpCode.Multi, req, _s);
        Assert.True(txn.Failed);
        Assert.Equal(0, _h.Prep.OutstandingChanges);
        var r = _h.ApplyNext();
        Assert.Equal([OpResult.Error(ErrorCode.Ok), OpResult.Error(ErrorCode.Ok), OpResult.Error(ErrorCode.BadVersion),
                      OpResult.Error(ErrorCode.RuntimeInconsistency)], r.Results);
        Assert.Empty(r.Triggers);
        Assert.Equal(before, _h.Tree.Digest());
        Assert.Null(_h.Tree.Get("/m"));
        // The rolled-back creates left no trace in prep either: the same names are free.
        Assert.Equal(ErrorCode.Ok, _h.Err(OpCode.Create, Create("/m"), _s));
    }

    [Fact]
    public void Multi_may_not_contain_reads()
    {
        var req = Multi((OpCode.Create, Create("/m")), (OpCode.GetData, new PathWatchRequest("/q", false)));
        Assert.Equal(new ErrorTxn(ErrorCode.MarshallingError), _h.PrepareOnly(OpCode.Multi, req, _s));
    }

    [Fact]
    public void Multi_responses_are_kazoo_compatible()
    {
        var req = Multi((OpCode.Create, Create("/a")), (OpCode.CreateContainer, Create("/b", mode: CreateMode.Container)),
            (OpCode.SetData, SetData("/a", "x")), (OpCode.Check, new CheckVersionRequest("/a", 1)), (OpCode.Delete, Delete("/b")));
        _h.PrepareOnly(OpCode.Multi, req, _s);
        var resp = TreeResponses.ForMulti(req, _h.ApplyNext().Results);
        Assert.Equal(new CreateResponse("/a"), resp.Results[0].Body);
        Assert.Equal("/b", Assert.IsType<Create2Response>(resp.Results[1].Body).Path);
        Assert.Equal(1, Assert.IsType<StatResponse>(resp.Results[2].Body).Stat.Version);
        Assert.Null(resp.Results[3].Body);
        Assert.Equal([OpCode.Create, OpCode.CreateContainer, OpCode.SetData, OpCode.Check, OpCode.Delete], resp.Results.Select(x => x.Type));
    }

    /// <summary>As measured against ZooKeeper 3.8.0 by the differential spec: inside a multi a create's opcode
    /// comes from its flags (MultiOperationRecord rebuilds it with Op.create), whatever the header said.</summary>
    [Theory]
    [InlineData(OpCode.Create2, CreateMode.Persistent, OpCode.Create, false)]            // path only, no stat
    [InlineData(OpCode.CreateContainer, CreateMode.Persistent, OpCode.Create, false)]    // a plain node, not a container
    [InlineData(OpCode.CreateContainer, CreateMode.Ephemeral, OpCode.Create, true)]      // an ephemeral
    [InlineData(OpCode.Create, CreateMode.Container, OpCode.CreateContainer, false)]     // a container, answered with a stat
    [InlineData(OpCode.CreateTtl, CreateMode.Persistent, OpCode.Create, false)]          // the TTL is dropped
    [InlineData(OpCode.CreateTtl, CreateMode.Container, OpCode.CreateContainer, false)]
    public void A_create_in_a_multi_is_typed_by_its_flags(OpCode sent, CreateMode mode, OpCode answered, bool ephemeral)
    {
        IPathRequest body = sent == OpCode.CreateTtl
            ? new CreateTtlRequest("/t", [], Acl.OpenAclUnsafe, (int)mode, -5)
            : Create("/t", mode: mode);
        var req = Multi((sent, body));
        Assert.False(((MultiTxn)_h.PrepareOnly(OpCode.Multi, req, _s)).Failed);
        var result = Assert.Single(TreeResponses.ForMulti(req, _h.ApplyNext().Results).Results);
        Assert.Equal(answered, result.Type);
        Assert.Equal(answered == OpCode.Create ? typeof(CreateResponse) : typeof(Create2Response), result.Body!.GetType());
        Assert.Equal(ephemeral, _h.StatOf("/t").EphemeralOwner == _s.SessionId);
        Assert.Equal(mode == CreateMode.Container, _h.Tree.Get("/t")!.EphemeralOwnerRaw == EphemeralOwners.Container);
    }

    [Theory]
    [InlineData(OpCode.Create)]
    [InlineData(OpCode.Create2)]
    [InlineData(OpCode.CreateContainer)]
    public void A_TTL_mode_without_a_TTL_fails_the_whole_multi(OpCode sent)
    {
        var req = Multi((sent, Create("/t", mode: CreateMode.PersistentWithTtl)), (OpCode.Check, new CheckVersionRequest("/q", -1)));
        Assert.Equal(new ErrorTxn(ErrorCode.MarshallingError), _h.PrepareOnly(OpCode.Multi, req, _s));
    }

    [Fact]
    public void A_TTL_mode_without_a_TTL_after_a_failed_op_is_only_inconsistent()
    {
        var req = Multi((OpCode.Delete, Delete("/missing")), (OpCode.Create, Create("/t", mode: CreateMode.PersistentWithTtl)));
        var txn = Assert.IsType<MultiTxn>(_h.PrepareOnly(OpCode.Multi, req, _s));
        Assert.Equal([new ErrorTxn(ErrorCode.NoNode), new ErrorTxn(ErrorCode.RuntimeInconsistency)], txn.Txns);
    }

    [Fact]
    public void Empty_multi_succeeds_with_no_results()
    {
        _h.PrepareOnly(OpCode.Multi, Multi(), _s);
        var r = _h.ApplyNext();
        Assert.Empty(r.Results);
    }
}

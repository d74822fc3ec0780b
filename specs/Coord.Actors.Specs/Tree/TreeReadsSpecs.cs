using Coord.Actors.Specs.Prep;
using Coord.Actors.Tree;
using Coord.Protocol;
using Coord.Protocol.Records;
using static Coord.Actors.Specs.Prep.Harness;

namespace Coord.Actors.Specs.Tree;

public sealed class TreeReadsSpecs
{
    private readonly Harness _h = new();
    private readonly Coord.Actors.Prep.SessionContext _alice;

    public TreeReadsSpecs()
    {
        _alice = _h.Session(1, Alice);
        _h.Run(OpCode.Create, Create("/open", "o"), _alice);
        _h.Run(OpCode.Create, Create("/open/k1"), _alice);
        _h.Run(OpCode.Create, Create("/open/k1/g"), _alice);
        _h.Run(OpCode.Create, Create("/open/k2"), _alice);
        _h.Run(OpCode.Create, Create("/secret", "s", acl: AliceOnly), _alice);
        _h.Run(OpCode.Create, Create("/readable", "r", acl: [new(Perms.Read, Alice), new(Perms.Read, Bob)]), _alice);
    }

    private ReadOutcome Read(OpCode op, object req, params Id[] ids) => TreeReads.Execute(_h.Tree, op, req, 1, ids);

    [Fact]
    public void Exists_on_missing_node_is_nonode_and_arms_an_exist_watch_only_when_asked()
    {
        Assert.Equal(new ReadOutcome(ErrorCode.NoNode, null, WatchKind.Exist), Read(OpCode.Exists, new PathWatchRequest("/nope", true)));
        Assert.Equal(new ReadOutcome(ErrorCode.NoNode, null, null), Read(OpCode.Exists, new PathWatchRequest("/nope", false)));
    }

    [Fact]
    public void Exists_on_existing_node_needs_read_then_arms_a_data_watch()
    {
        var ok = Read(OpCode.Exists, new PathWatchRequest("/open", true));
        Assert.Equal(WatchKind.Data, ok.WatchToRegister);
        Assert.Equal(_h.StatOf("/open"), ((StatResponse)ok.Body!).Stat);
        Assert.Equal(new ReadOutcome(ErrorCode.NoAuth, null, null), Read(OpCode.Exists, new PathWatchRequest("/secret", true)));
        Assert.Equal(ErrorCode.BadArguments, Read(OpCode.Exists, new PathWatchRequest("/a\0", true)).Err);
    }

    [Fact]
    public void GetData_and_GetChildren_check_existence_before_permission_and_set_no_watch_on_failure()
    {
        foreach (var op in new[] { OpCode.GetData, OpCode.GetChildren, OpCode.GetChildren2 })
        {
            Assert.Equal(new ReadOutcome(ErrorCode.NoNode, null, null), Read(op, new PathWatchRequest("/nope", true)));
            Assert.Equal(new ReadOutcome(ErrorCode.NoAuth, null, null), Read(op, new PathWatchRequest("/secret", true)));
        }
        var data = Read(OpCode.GetData, new PathWatchRequest("/secret", true), Alice);
        Assert.Equal("s"u8.ToArray(), ((GetDataResponse)data.Body!).Data);
        Assert.Equal(WatchKind.Data, data.WatchToRegister);
        var kids = Read(OpCode.GetChildren2, new PathWatchRequest("/open", true));
        Assert.Equal(["k1", "k2"], ((GetChildren2Response)kids.Body!).Children);
        Assert.Equal(_h.StatOf("/open"), ((GetChildren2Response)kids.Body!).Stat);
        Assert.Equal(WatchKind.Child, kids.WatchToRegister);
        Assert.Null(Read(OpCode.GetChildren, new PathWatchRequest("/open", false)).WatchToRegister);
    }

    [Fact]
    public void GetAcl_needs_read_or_admin_and_masks_digests_without_admin()
    {
        Assert.Equal(ErrorCode.NoAuth, Read(OpCode.GetAcl, new PathRequest("/secret")).Err);
        Assert.Equal(ErrorCode.NoNode, Read(OpCode.GetAcl, new PathRequest("/nope")).Err);
        var masked = (GetAclResponse)Read(OpCode.GetAcl, new PathRequest("/readable"), Bob).Body!;
        Assert.Equal([new Acl(Perms.Read, new Id("digest", "alice:x")), new Acl(Perms.Read, new Id("digest", "bob:x"))], masked.Acl);
        var full = (GetAclResponse)Read(OpCode.GetAcl, new PathRequest("/secret"), Alice).Body!;
        Assert.Equal(AliceOnly, full.Acl);
        Assert.Equal(AliceOnly, ((GetAclResponse)Read(OpCode.GetAcl, new PathRequest("/secret"), new Id("super", "")).Body!).Acl);
    }

    [Fact]
    public void GetAllChildrenNumber_counts_all_descendants()
    {
        Assert.Equal(3, ((GetAllChildrenNumberResponse)Read(OpCode.GetAllChildrenNumber, new PathRequest("/open")).Body!).TotalNumber);
        Assert.Equal(ErrorCode.NoAuth, Read(OpCode.GetAllChildrenNumber, new PathRequest("/secret")).Err);
    }

    [Fact]
    public void GetEphemerals_lists_the_callers_ephemerals_by_prefix_sorted()
    {
        _h.Run(OpCode.Create, Create("/open/e2", mode: CreateMode.Ephemeral), _alice);
        _h.Run(OpCode.Create, Create("/e1", mode: CreateMode.Ephemeral), _alice);
        var other = _h.Session(2);
        _h.Run(OpCode.Create, Create("/open/x", mode: CreateMode.Ephemeral), other);
        List<string> List(string prefix) => [.. ((GetEphemeralsResponse)Read(OpCode.GetEphemerals, new PathRequest(prefix)).Body!).Ephemerals];
        Assert.Equal(["/e1", "/open/e2"], List(""));
        Assert.Equal(["/e1", "/open/e2"], List("/"));
        Assert.Equal(["/open/e2"], List("/open"));
    }

    [Fact]
    public void MultiRead_answers_each_op_and_never_fails_as_a_whole()
    {
        var req = Multi((OpCode.GetData, new PathWatchRequest("/open", true)), (OpCode.GetData, new PathWatchRequest("/nope", false)),
            (OpCode.GetChildren, new PathWatchRequest("/secret", false)), (OpCode.GetChildren, new PathWatchRequest("/open", true)));
        var r = Read(OpCode.MultiRead, req);
        Assert.Equal(ErrorCode.Ok, r.Err);
        Assert.Null(r.WatchToRegister);
        var results = ((MultiResponse)r.Body!).Results;
        Assert.Equal([OpCode.GetData, OpCode.Error, OpCode.Error, OpCode.GetChildren], results.Select(x => x.Type));
        Assert.Equal([ErrorCode.Ok, ErrorCode.NoNode, ErrorCode.NoAuth, ErrorCode.Ok], results.Select(x => x.Err));
    }
}

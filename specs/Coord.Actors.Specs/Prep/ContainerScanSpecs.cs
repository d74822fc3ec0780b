using Coord.Actors.Prep;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;
using static Coord.Actors.Specs.Prep.Harness;

namespace Coord.Actors.Specs.Prep;

public sealed class ContainerScanSpecs
{
    private readonly Harness _h = new(ttlEnabled: true);
    private readonly SessionContext _s;

    public ContainerScanSpecs() => _s = _h.Session(1);

    [Fact]
    public void Only_containers_that_had_children_and_are_empty_are_candidates()
    {
        _h.Run(OpCode.CreateContainer, Create("/never", mode: CreateMode.Container), _s);
        _h.Run(OpCode.CreateContainer, Create("/used", mode: CreateMode.Container), _s);
        _h.Run(OpCode.CreateContainer, Create("/busy", mode: CreateMode.Container), _s);
        _h.Run(OpCode.Create, Create("/used/c"), _s);
        _h.Run(OpCode.Create, Create("/busy/c"), _s);
        Assert.Empty(ContainerScan.Candidates(_h.Tree, 0, 100));
        _h.Run(OpCode.Delete, Delete("/used/c"), _s);
        Assert.Equal(["/used"], ContainerScan.Candidates(_h.Tree, 0, 100));
    }

    [Fact]
    public void Ttl_nodes_expire_after_ttl_since_last_mtime_when_childless()
    {
        _h.NowMs = 1_000;
        _h.Run(OpCode.CreateTtl, new CreateTtlRequest("/t", null, Acl.OpenAclUnsafe, 5, 500), _s);
        _h.Run(OpCode.CreateTtl, new CreateTtlRequest("/p", null, Acl.OpenAclUnsafe, 5, 500), _s);
        _h.Run(OpCode.Create, Create("/p/c"), _s);
        Assert.Empty(ContainerScan.Candidates(_h.Tree, 1_500, 100));
        Assert.Equal(["/t"], ContainerScan.Candidates(_h.Tree, 1_501, 100));
        _h.NowMs = 1_400;
        _h.Run(OpCode.SetData, SetData("/t", "refresh"), _s);
        Assert.Empty(ContainerScan.Candidates(_h.Tree, 1_501, 100));
        Assert.Equal(["/t"], ContainerScan.Candidates(_h.Tree, 1_901, 100));
    }

    [Fact]
    public void Scan_output_is_sorted_and_bounded()
    {
        foreach (var p in new[] { "/c3", "/c1", "/c2" })
        {
            _h.Run(OpCode.CreateContainer, Create(p, mode: CreateMode.Container), _s);
            _h.Run(OpCode.Create, Create(p + "/k"), _s);
            _h.Run(OpCode.Delete, Delete(p + "/k"), _s);
        }
        Assert.Equal(["/c1", "/c2"], ContainerScan.Candidates(_h.Tree, 0, 2));
    }

    [Fact]
    public void Delete_container_rechecks_children_and_refuses_ordinary_ephemerals()
    {
        _h.Run(OpCode.CreateContainer, Create("/c", mode: CreateMode.Container), _s);
        _h.Run(OpCode.Create, Create("/c/k"), _s);
        _h.Run(OpCode.Create, Create("/e", mode: CreateMode.Ephemeral), _s);
        var system = new SessionContext(0, []);
        Assert.Equal(ErrorCode.NotEmpty, _h.Err(OpCode.DeleteContainer, new PathRequest("/c"), system));
        Assert.Equal(ErrorCode.BadVersion, _h.Err(OpCode.DeleteContainer, new PathRequest("/e"), system));
        Assert.Equal(ErrorCode.NoNode, _h.Err(OpCode.DeleteContainer, new PathRequest("/gone"), system));
        _h.Run(OpCode.Delete, Delete("/c/k"), _s);
        var r = _h.Run(OpCode.DeleteContainer, new PathRequest("/c"), system);
        Assert.Equal((OpCode.Delete, ErrorCode.Ok), (r.Type, r.Err));
        Assert.Null(_h.Tree.Get("/c"));
    }
}

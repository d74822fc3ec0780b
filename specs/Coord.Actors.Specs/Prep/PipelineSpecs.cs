using Coord.Actors.Prep;
using Coord.Actors.Txns;
using Coord.Protocol;
using static Coord.Actors.Specs.Prep.Harness;

namespace Coord.Actors.Specs.Prep;

/// <summary>Several txns prepared before any is applied must see each other's effects.</summary>
public sealed class PipelineSpecs
{
    private readonly Harness _h = new();
    private readonly SessionContext _s;

    public PipelineSpecs() => _s = _h.Session(1);

    [Fact]
    public void Create_parent_then_child_before_applying_either()
    {
        Assert.IsType<CreateTxn>(_h.PrepareOnly(OpCode.Create, Create("/a"), _s));
        Assert.IsType<CreateTxn>(_h.PrepareOnly(OpCode.Create, Create("/a/b"), _s));
        Assert.Equal(4, _h.Prep.OutstandingChanges);
        var results = _h.ApplyAll();
        Assert.All(results, r => Assert.Equal(ErrorCode.Ok, r.Results.Single().Err));
        Assert.Equal(["b"], _h.Tree.Get("/a")!.Children);
        Assert.Equal(0, _h.Prep.OutstandingChanges);
    }

    [Fact]
    public void Delete_of_a_node_with_a_pending_child_is_not_empty()
    {
        _h.Run(OpCode.Create, Create("/a"), _s);
        _h.PrepareOnly(OpCode.Create, Create("/a/b"), _s);
        Assert.Equal(new ErrorTxn(ErrorCode.NotEmpty), _h.PrepareOnly(OpCode.Delete, Delete("/a"), _s));
    }

    [Fact]
    public void Pending_versions_sequence_counters_and_deletes_are_seen()
    {
        _h.Run(OpCode.Create, Create("/a"), _s);
        _h.PrepareOnly(OpCode.SetData, SetData("/a", "1", 0), _s);
        Assert.Equal(new ErrorTxn(ErrorCode.BadVersion), _h.PrepareOnly(OpCode.SetData, SetData("/a", "2", 0), _s));
        Assert.Equal(2, ((SetDataTxn)_h.PrepareOnly(OpCode.SetData, SetData("/a", "2", 1), _s)).Version);
        Assert.Equal("/a/s0000000000", ((CreateTxn)_h.PrepareOnly(OpCode.Create, Create("/a/s", mode: CreateMode.PersistentSequential), _s)).Path);
        Assert.Equal("/a/s0000000001", ((CreateTxn)_h.PrepareOnly(OpCode.Create, Create("/a/s", mode: CreateMode.PersistentSequential), _s)).Path);
        _h.PrepareOnly(OpCode.Delete, Delete("/a/s0000000000"), _s);
        Assert.Equal(new ErrorTxn(ErrorCode.NoNode), _h.PrepareOnly(OpCode.SetData, SetData("/a/s0000000000", "x"), _s));
        _h.ApplyAll();
        Assert.Equal(2, _h.StatOf("/a").Version);
        Assert.Equal(["s0000000001"], _h.Tree.Get("/a")!.Children);
    }

    [Fact]
    public void Close_session_lists_applied_and_pending_ephemerals_minus_pending_deletes()
    {
        _h.Run(OpCode.Create, Create("/e1", mode: CreateMode.Ephemeral), _s);
        _h.Run(OpCode.Create, Create("/e2", mode: CreateMode.Ephemeral), _s);
        _h.PrepareOnly(OpCode.Create, Create("/e3", mode: CreateMode.Ephemeral), _s);
        _h.PrepareOnly(OpCode.Delete, Delete("/e1"), _s);
        var close = (CloseSessionTxn)_h.PrepareClose(1);
        Assert.Equal(["/e2", "/e3"], close.PathsToDelete);
        _h.ApplyAll();
        Assert.Equal(0, _h.Tree.EphemeralCount);
        Assert.Empty(_h.Tree.Sessions);
        Assert.Equal(0, _h.Prep.OutstandingChanges);
    }

    [Fact]
    public void Zxids_must_increase()
    {
        _h.PrepareOnly(OpCode.Create, Create("/a"), _s);
        Assert.Throws<InvalidOperationException>(() => _h.Prep.Prepare(OpCode.Create, Create("/b"), _s, _h.LastZxid, 0));
    }
}

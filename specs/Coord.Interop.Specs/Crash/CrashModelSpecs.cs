namespace Coord.Interop.Specs.Crash;

/// <summary>The kill -9 oracles reject what they are there to catch (no server: planted restarts).</summary>
public sealed class CrashModelSpecs
{
    [Fact]
    public void Sequence_model_rejects_a_cversion_that_went_back_a_lost_child_and_a_number_handed_out_twice()
    {
        var m = new SequenceModel(0);
        Assert.Null(m.Created(0));
        Assert.Null(m.Created(1));
        m.Deleted(0);
        Assert.Empty(m.Reconcile(["n-0000000001"], 3));

        Assert.Contains(m.Reconcile(["n-0000000001"], 2), p => p.Contains("cversion went back"));
        Assert.Contains(m.Reconcile([], 3), p => p.Contains("is gone"));
        Assert.NotNull(m.Created(1));
        Assert.Contains(new SequenceModel(1).Reconcile(["n-0000000005"], 6), p => p.Contains("never acknowledged"));
    }

    [Fact]
    public void Sequence_model_accepts_an_in_flight_create_that_landed()
    {
        var m = new SequenceModel(0);
        Assert.Null(m.Created(0));
        m.Sending(create: true, -1);
        Assert.Empty(m.Reconcile(["n-0000000000", "n-0000000001"], 2));
    }

    [Fact]
    public async Task Session_model_rejects_lost_sessions_missing_and_leaked_ephemerals()
    {
        var m = new SessionModel(0, 10_000);
        var live = m.Opened(1, [], "a");
        live.Acked.Add("a-0");
        var closed = m.Opened(2, [], "b");
        closed.Acked.Add("b-0");
        closed.State = SessionModel.State.Closed;

        // The live session is refused right after the kill, its ephemeral is gone, the closed one's is still there.
        var problems = await m.ReconcileAsync(_ => Task.FromResult(false), () => Task.FromResult<IReadOnlyCollection<string>>(["b-0", "x"]), _ => Task.CompletedTask);
        Assert.Contains(problems, p => p.Contains("lost across the crash"));
        Assert.Contains(problems, p => p.Contains("b-0") && p.Contains("still there"));
        Assert.Contains(problems, p => p.Contains("/x: an ephemeral no live session created"));

        var ok = new SessionModel(0, 10_000);
        ok.Opened(3, [], "c").Acked.Add("c-0");
        var closedNow = new List<long>();
        Assert.Empty(await ok.ReconcileAsync(_ => Task.FromResult(true), () => Task.FromResult<IReadOnlyCollection<string>>(["c-0"]),
            s => { closedNow.Add(s.Id); return Task.CompletedTask; }));
        Assert.Equal([3L], closedNow);
        // Closed by the reconcile: its ephemeral must be gone next time.
        Assert.Contains(await ok.ReconcileAsync(_ => Task.FromResult(true), () => Task.FromResult<IReadOnlyCollection<string>>(["c-0"]), _ => Task.CompletedTask),
            p => p.Contains("still there"));
    }
}

using Coord.Chaos.History;
using Coord.Protocol;

namespace Coord.Chaos.Checking;

/// <summary>Per-session views of a history that the direct checks share: ops in invoke order, sync barriers, proofs of life.</summary>
internal sealed class HistoryIndex
{
    private static readonly HashSet<ErrorCode> Modeled =
        [ErrorCode.NoNode, ErrorCode.NodeExists, ErrorCode.BadVersion, ErrorCode.NotEmpty, ErrorCode.NoChildrenForEphemerals];

    private readonly Dictionary<long, HistoryOp[]> syncs;
    private readonly Dictionary<long, long[]> lifeProofs;

    public HistoryIndex(OpHistory history)
    {
        BySession = history.Ops.GroupBy(o => o.Session).ToDictionary(g => g.Key, g => g.OrderBy(o => o.Invoke).ThenBy(o => o.Id).ToArray());
        syncs = BySession.ToDictionary(kv => kv.Key, kv => kv.Value.Where(o => o.Kind == OpKind.Sync && o.Outcome == Outcome.Ok).ToArray());
        lifeProofs = BySession.ToDictionary(kv => kv.Key, kv => kv.Value.Where(ProvesAlive).Select(o => o.Invoke).Order().ToArray());
    }

    /// <summary>Each session's ops in invoke order.</summary>
    public Dictionary<long, HistoryOp[]> BySession { get; }

    /// <summary>
    /// A write with a reply (ok, or an error the leader decided such as BADVERSION) proves its session alive after the
    /// write's invoke: the leader checks the session before it looks at a write (ZooKeeper's PrepRequestProcessor), and
    /// an expired session gets SESSIONEXPIRED instead.
    /// </summary>
    public static bool ProvesAlive(HistoryOp o) =>
        o.IsWrite && o.Kind != OpKind.CloseSession && (o.Outcome == Outcome.Ok || (o.Outcome == Outcome.Error && Modeled.Contains(o.Error!.Value)));

    /// <summary>The invoke time of the session's last ok sync that completed before <paramref name="op"/> was invoked: a
    /// read after it sees every write acknowledged before that time (long.MinValue if none).</summary>
    public long SyncBarrier(HistoryOp op)
    {
        var barrier = long.MinValue;
        foreach (var s in syncs.GetValueOrDefault(op.Session) ?? [])
        {
            if (s.Complete < op.Invoke) barrier = Math.Max(barrier, s.Invoke);
        }

        return barrier;
    }

    /// <summary>A write of <paramref name="session"/> with a reply that was invoked after <paramref name="time"/>, or null.</summary>
    public long? AliveAfter(long session, long time)
    {
        var proofs = lifeProofs.GetValueOrDefault(session);
        if (proofs is null || proofs.Length == 0 || proofs[^1] <= time) return null;
        return proofs[^1];
    }

    public HistoryOp? LifeProofAfter(long session, long time) =>
        AliveAfter(session, time) is null ? null : BySession[session].FirstOrDefault(o => ProvesAlive(o) && o.Invoke > time);

    /// <summary>What a read showed about <paramref name="path"/>: present, absent, or nothing (null).</summary>
    public static bool? Shows(HistoryOp r, string path)
    {
        if (r.Outcome == Outcome.Error && r.Error == ErrorCode.NoNode)
            return r.Path == path ? false : null;
        if (r.Outcome != Outcome.Ok) return null;
        switch (r.Kind)
        {
            case OpKind.GetData when r.Path == path:
                return true;
            case OpKind.Exists when r.Path == path:
                return r.Result?.Stat is not null;
            case OpKind.GetChildren when r.Path == Paths.Parent(path) && r.Result?.Children is { } kids:
                return kids.Contains(Paths.Name(path));
            default:
                return null;
        }
    }
}

using System.Globalization;
using Coord.Chaos.History;
using Coord.Protocol;

namespace Coord.Chaos.Checking;

/// <summary>
/// ZooKeeper's sequential specification for one partition: given a state and an op, the states the op may lead to if
/// it is linearized now (none = not here). Writes are evaluated against the newest state, in the order of
/// PrepRequestProcessor's checks (NONODE, NODEEXISTS before NOCHILDRENFOREPHEMERALS, BADVERSION before NOTEMPTY).
/// A read may observe any state from its session's floor (and its sync barrier) up to now, so it can yield one
/// successor per matching point. Pure: states are immutable.
/// </summary>
internal sealed class ZnodeModel(Partition partition)
{
    /// <summary>Error codes the model decides; any other error reply (NOAUTH, SESSIONMOVED, ...) changed nothing and
    /// constrains nothing.</summary>
    private static readonly HashSet<ErrorCode> Modeled =
        [ErrorCode.NoNode, ErrorCode.NodeExists, ErrorCode.BadVersion, ErrorCode.NotEmpty, ErrorCode.NoChildrenForEphemerals];

    public List<ModelState> Step(ModelState state, PartOp op)
    {
        if (op.IsRead) return Read(state, op);
        return Write(state, op) is { } next ? [next] : [];
    }

    private List<ModelState> Read(ModelState state, PartOp op)
    {
        var o = op.Op;
        if (o.Outcome == Outcome.Error && !Modeled.Contains(o.Error!.Value)) return [state];
        var lower = Math.Max(state.Floors[op.SessionIndex], state.CommittedBefore(op.SyncBarrier));
        var candidates = new SortedSet<int> { lower };
        foreach (var k in op.ReadKeys)
        {
            for (var h = state.Keys[k]; h is not null && h.Step > lower; h = h.Older) candidates.Add(h.Step);
        }

        var result = new List<ModelState>();
        foreach (var m in candidates.Reverse())
        {
            if (!Matches(o, state, op.ReadKeys, m)) continue;
            var floors = (int[])state.Floors.Clone();
            floors[op.SessionIndex] = Math.Max(floors[op.SessionIndex], m);
            result.Add(new ModelState(state.Keys, state.Step, floors, state.FrontWith(m, op.Return)));
        }

        return result;
    }

    private static bool Matches(HistoryOp o, ModelState state, int[] keys, int step)
    {
        var node = (NodeValue)state.Keys[keys[0]].At(step);
        if (o.Outcome == Outcome.Error) return o.Error == ErrorCode.NoNode && !node.Exists;
        var r = o.Result;
        switch (o.Kind)
        {
            case OpKind.GetData:
                return node.Exists && (r?.Data is null || r.Data == node.Data) && (r?.Stat?.Version is not { } v || v == node.Version);
            case OpKind.Exists:
                if (r?.Stat is null) return !node.Exists;
                return node.Exists && (r.Stat.Version is not { } ev || ev == node.Version);
            case OpKind.GetChildren:
                var kids = (KidsValue)state.Keys[keys[1]].At(step);
                return node.Exists && (r?.Children is not { } names || kids.SameNames(names));
            default:
                return false;
        }
    }

    /// <summary>The state after a write linearized now, or null if its recorded outcome cannot happen here.</summary>
    private ModelState? Write(ModelState state, PartOp op)
    {
        var o = op.Op;
        var scratch = new Dictionary<int, KeyValue>();
        var applied = Apply(state, op, scratch, out var created);
        bool ok;
        switch (op.Known ? o.Outcome : Outcome.Unknown)
        {
            case Outcome.Ok:
                ok = applied.Error is null && ResultsMatch(o, created);
                break;
            case Outcome.Error:
                if (!Modeled.Contains(o.Error!.Value))
                {
                    ok = true;
                }
                else
                {
                    ok = (applied.Error == o.Error && (o.Kind != OpKind.Multi || applied.FailedIndex == o.FailedIndex))
                         || (applied.ParentUnknown && o.Error == ErrorCode.NoNode);
                }

                scratch.Clear();
                break;
            default:
                if (applied.Error is not null) scratch.Clear();
                ok = true;
                break;
        }

        if (!ok) return null;
        var keys = state.Keys;
        var step = state.Step;
        if (scratch.Count > 0)
        {
            step++;
            keys = (KeyHistory[])keys.Clone();
            foreach (var (k, v) in scratch)
            {
                if (!v.Equals(keys[k].Value)) keys[k] = new KeyHistory(step, v, keys[k]);
            }
        }

        var floors = state.Floors;
        var front = state.Front;
        if (op.Known)
        {
            floors = (int[])floors.Clone();
            floors[op.SessionIndex] = step;
            front = state.FrontWith(step, op.Return);
        }

        return new ModelState(keys, step, floors, front);
    }

    private readonly record struct Applied(ErrorCode? Error, int FailedIndex, bool ParentUnknown);

    private Applied Apply(ModelState state, PartOp op, Dictionary<int, KeyValue> scratch, out List<(string? Name, int? Version)> created)
    {
        created = [];
        if (op.Op.Kind == OpKind.CloseSession)
        {
            var owner = op.Op.Session;
            for (var k = 0; k < partition.Keys.Length; k++)
            {
                if (partition.Keys[k].Kind != KeyKind.Node || Node(state, scratch, k) is not { Exists: true } n || n.Owner != owner) continue;
                scratch[k] = NodeValue.Absent;
                var path = partition.Keys[k].Path;
                if (partition.Local(KeyKind.Kids, Paths.Parent(path)) is { } pk) scratch[pk] = Kids(state, scratch, pk).With(Kids(state, scratch, pk).Creates, null, Paths.Name(path));
            }

            // Ephemeral children whose node is not a key of its own (an ephemeral-sequential create of unknown outcome).
            for (var k = 0; k < partition.Keys.Length; k++)
            {
                if (partition.Keys[k].Kind == KeyKind.Kids && Kids(state, scratch, k).WithoutOwner(owner) is { } left) scratch[k] = left;
            }

            return new Applied(null, -1, false);
        }

        var parentUnknown = false;
        for (var i = 0; i < op.Actions.Count; i++)
        {
            var err = Apply(state, op.Op.Session, op.Actions[i], scratch, out var produced, ref parentUnknown);
            created.Add(produced);
            if (err is not null)
            {
                scratch.Clear();
                return new Applied(err, i, parentUnknown);
            }
        }

        return new Applied(null, -1, false);
    }

    private ErrorCode? Apply(ModelState state, long session, Action a, Dictionary<int, KeyValue> scratch, out (string? Name, int? Version) created, ref bool parentUnknown)
    {
        created = (null, null);
        switch (a.Kind)
        {
            case OpKind.Create:
            {
                var parent = a.Parent;
                bool? parentExists;
                long parentOwner;
                if (partition.Local(KeyKind.Node, parent) is { } pn)
                {
                    var p = Node(state, scratch, pn);
                    parentExists = p.Exists;
                    parentOwner = p.Owner;
                }
                else
                {
                    parentExists = partition.Plan.ConstantExists(parent);
                    parentOwner = partition.Plan.ConstantOwner(parent);
                }

                if (parentExists == false) return ErrorCode.NoNode;
                if (parentExists is null) parentUnknown = true;
                var kidsKey = partition.Local(KeyKind.Kids, parent);
                var kids = kidsKey is { } kk ? Kids(state, scratch, kk) : null;
                string name;
                if (a.Sequential)
                {
                    // Sequential creates always track kids:parent (KeyPlan), so the suffix is known.
                    name = a.Path + (kids?.Creates ?? 0).ToString("D10", CultureInfo.InvariantCulture);
                }
                else
                {
                    name = a.Path;
                }

                var nodeKey = partition.Local(KeyKind.Node, name);
                if (nodeKey is { } nk && Node(state, scratch, nk).Exists) return ErrorCode.NodeExists;
                if (parentOwner != 0) return ErrorCode.NoChildrenForEphemerals;
                created = (name, 0);
                if (nodeKey is { } nk2) scratch[nk2] = new NodeValue(true, a.Data ?? "", 0, a.Ephemeral ? session : 0);
                if (kidsKey is { } kk2) scratch[kk2] = kids!.With(kids.Creates + 1, Paths.Name(name), null, a.Ephemeral ? session : 0);
                if (partition.Local(KeyKind.Kids, name) is { } own) scratch[own] = KidsValue.Empty;
                return null;
            }

            case OpKind.Delete:
            {
                var nk = partition.Local(KeyKind.Node, a.Path)!.Value;
                var n = Node(state, scratch, nk);
                if (!n.Exists) return ErrorCode.NoNode;
                if (a.Version != -1 && a.Version != n.Version) return ErrorCode.BadVersion;
                var own = partition.Local(KeyKind.Kids, a.Path);
                if (own is { } o && Kids(state, scratch, o).Names.Length > 0) return ErrorCode.NotEmpty;
                scratch[nk] = NodeValue.Absent;
                if (own is { } o2) scratch[o2] = KidsValue.Empty;
                if (partition.Local(KeyKind.Kids, a.Parent) is { } pk)
                {
                    var kids = Kids(state, scratch, pk);
                    scratch[pk] = kids.With(kids.Creates, null, Paths.Name(a.Path));
                }

                return null;
            }

            case OpKind.SetData:
            case OpKind.Check:
            {
                var nk = partition.Local(KeyKind.Node, a.Path)!.Value;
                var n = Node(state, scratch, nk);
                if (!n.Exists) return ErrorCode.NoNode;
                if (a.Version != -1 && a.Version != n.Version) return ErrorCode.BadVersion;
                if (a.Kind == OpKind.SetData)
                {
                    scratch[nk] = new NodeValue(true, a.Data ?? "", n.Version + 1, n.Owner);
                    created = (null, n.Version + 1);
                }

                return null;
            }

            default:
                return null;
        }
    }

    /// <summary>Whether an ok write's returned names and versions are the ones the model produced.</summary>
    private static bool ResultsMatch(HistoryOp o, List<(string? Name, int? Version)> produced)
    {
        switch (o.Kind)
        {
            case OpKind.Create:
                return (o.Result?.Path is not { } p || p == produced[0].Name) && (o.Result?.Stat?.Version is not { } v || v == 0);
            case OpKind.SetData:
                return o.Result?.Stat?.Version is not { } sv || sv == produced[0].Version;
            case OpKind.Multi when o.Result?.Results is { } results:
                for (var i = 0; i < results.Count; i++)
                {
                    var r = results[i];
                    if (o.Ops![i].Kind == OpKind.Create && r.Path is { } rp && rp != produced[i].Name) return false;
                    if (o.Ops[i].Kind == OpKind.SetData && r.Stat?.Version is { } mv && mv != produced[i].Version) return false;
                }

                return true;
            default:
                return true;
        }
    }

    private static NodeValue Node(ModelState state, Dictionary<int, KeyValue> scratch, int k) =>
        (NodeValue)(scratch.TryGetValue(k, out var v) ? v : state.Keys[k].Value);

    private static KidsValue Kids(ModelState state, Dictionary<int, KeyValue> scratch, int k) =>
        (KidsValue)(scratch.TryGetValue(k, out var v) ? v : state.Keys[k].Value);
}

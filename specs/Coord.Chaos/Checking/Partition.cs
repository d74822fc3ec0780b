using Coord.Chaos.History;

namespace Coord.Chaos.Checking;

/// <summary>An op as the search sees it inside one partition.</summary>
internal sealed class PartOp
{
    public required HistoryOp Op { get; init; }
    public required int Index { get; init; }

    /// <summary>The session's index within the partition (for <see cref="ModelState.Floors"/>).</summary>
    public required int SessionIndex { get; init; }

    /// <summary>False for an unknown outcome: it may be linearized anywhere after its call, or never.</summary>
    public required bool Known { get; init; }

    public required long Call { get; init; }

    /// <summary>The reply's time; long.MaxValue for an unknown outcome.</summary>
    public required long Return { get; init; }

    public required IReadOnlyList<Action> Actions { get; init; }

    /// <summary>The invoke time of the session's last sync that completed (ok) before this op was invoked.</summary>
    public required long SyncBarrier { get; init; }

    /// <summary>Earlier ops of the same session in this partition (session order): they take effect before this one
    /// or (if their outcome is unknown) never.</summary>
    public required int[] EarlierInSession { get; init; }

    /// <summary>Partition-local key indices of node:P / kids:P keys this op reads (reads only).</summary>
    public required int[] ReadKeys { get; init; }

    public bool IsRead => Op.IsRead;

    public override string ToString() => Op.ToString();
}

/// <summary>A set of keys closed under "touched by the same op", with the ops touching them.</summary>
internal sealed class Partition
{
    public required StateKey[] Keys { get; init; }
    public required Dictionary<StateKey, int> LocalIndex { get; init; }
    public required PartOp[] Ops { get; init; }
    public required int Sessions { get; init; }
    public required long[] SessionIds { get; init; }
    public required KeyPlan Plan { get; init; }

    public int? Local(KeyKind kind, string path) => LocalIndex.TryGetValue(new StateKey(kind, path), out var i) ? i : null;

    public string Describe() => string.Join(", ", Keys.Select(k => k.ToString()));

    /// <summary>
    /// Splits the ops into partitions. Reads of unknown outcome and syncs constrain nothing here and are left out;
    /// <paramref name="relaxed"/> ops are treated as unknown (writes) or left out (reads) — the shrinker's lever.
    /// </summary>
    public static List<Partition> Build(OpHistory history, IReadOnlySet<long>? relaxed = null)
    {
        bool Relaxed(HistoryOp o) => relaxed?.Contains(o.Id) == true;
        var unnamed = UnnamedSequentialNodes(history);
        var ops = history.Ops
            .Where(o => o.Kind != OpKind.Sync && !(o.IsRead && (o.Outcome == Outcome.Unknown || Relaxed(o) || unnamed(o))))
            .ToList();
        var plan = new KeyPlan(history, ops);
        var uf = new UnionFind(plan.Keys.Count);
        foreach (var op in ops)
        {
            var fp = plan.Footprints[op.Id];
            for (var i = 1; i < fp.Length; i++) uf.Union(fp[0], fp[i]);
        }

        // The last ok sync of each session, by completion, to find each op's sync barrier.
        var syncs = history.Ops.Where(o => o.Kind == OpKind.Sync && o.Outcome == Outcome.Ok)
            .GroupBy(o => o.Session)
            .ToDictionary(g => g.Key, g => g.OrderBy(o => o.Complete).ToArray());

        var groups = ops.Where(o => plan.Footprints[o.Id].Length > 0)
            .GroupBy(o => uf.Find(plan.Footprints[o.Id][0]));
        var partitions = new List<Partition>();
        foreach (var g in groups)
        {
            var members = g.OrderBy(o => o.Invoke).ThenBy(o => o.Id).ToArray();
            var keyIds = members.SelectMany(o => plan.Footprints[o.Id]).Distinct().Order().ToArray();
            var keys = keyIds.Select(k => plan.Keys[k]).ToArray();
            var local = keys.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => x.i);
            var sessionIds = members.Select(o => o.Session).Distinct().Order().ToArray();
            var sessionIndex = sessionIds.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i);
            var bySession = new Dictionary<long, List<int>>();
            var partOps = new PartOp[members.Length];
            for (var i = 0; i < members.Length; i++)
            {
                var o = members[i];
                var known = o.Outcome != Outcome.Unknown && !Relaxed(o);
                if (!bySession.TryGetValue(o.Session, out var earlier)) bySession[o.Session] = earlier = [];
                var barrier = long.MinValue;
                if (syncs.TryGetValue(o.Session, out var ss))
                {
                    foreach (var s in ss)
                    {
                        if (s.Complete < o.Invoke) barrier = Math.Max(barrier, s.Invoke);
                    }
                }

                int[] readKeys = [];
                if (o.IsRead)
                {
                    readKeys = o.Kind == OpKind.GetChildren
                        ? [local[new StateKey(KeyKind.Node, o.Path!)], local[new StateKey(KeyKind.Kids, o.Path!)]]
                        : [local[new StateKey(KeyKind.Node, o.Path!)]];
                }

                partOps[i] = new PartOp
                {
                    Op = o,
                    Index = i,
                    SessionIndex = sessionIndex[o.Session],
                    Known = known,
                    Call = o.Invoke,
                    Return = known ? o.Complete!.Value : long.MaxValue,
                    Actions = plan.Actions[o.Id],
                    SyncBarrier = barrier,
                    EarlierInSession = [.. earlier],
                    ReadKeys = readKeys,
                };
                // An expiry is not issued by the session: it happens after its invoke (the last write the leader
                // accepted) and before the client saw it, in any order with the session's later ops.
                if (!o.Expired) earlier.Add(i);
            }

            partitions.Add(new Partition
            {
                Keys = keys, LocalIndex = local, Ops = partOps, Sessions = sessionIds.Length, SessionIds = sessionIds, Plan = plan,
            });
        }

        return partitions;
    }

    /// <summary>
    /// Reads of a node that only a sequential create of unknown outcome can have made (its prefix plus ten digits, a name
    /// no create is known to have returned): the model does not know which name such a create got, so these reads are
    /// left out rather than taken as proof that a node exists which nothing created.
    /// </summary>
    private static Func<HistoryOp, bool> UnnamedSequentialNodes(OpHistory history)
    {
        var prefixes = new HashSet<string>();
        var named = new HashSet<string>();
        foreach (var o in history.Ops)
        {
            var subs = o.Kind == OpKind.Multi ? o.Ops!.Select((s, i) => (s.Kind, s.Path, s.Sequential, Created: o.Result?.Results?[i].Path))
                : [(o.Kind, o.Path ?? "", o.Sequential, Created: o.Result?.Path)];
            foreach (var (kind, path, sequential, created) in subs)
            {
                if (kind != OpKind.Create || !sequential) continue;
                if (created is not null) named.Add(created);
                else if (o.Outcome == Outcome.Unknown) prefixes.Add(path);
            }
        }

        if (prefixes.Count == 0) return _ => false;
        return o => o.Kind != OpKind.GetChildren && o.Path is { Length: > 10 } p && !named.Contains(p) &&
                    prefixes.Contains(p[..^10]) && p[^10..].All(char.IsAsciiDigit);
    }

    public ModelState InitialState() => new(
        [.. Keys.Select(k => new KeyHistory(0, Plan.Initial(k), null))],
        0,
        new int[Sessions],
        []);
}

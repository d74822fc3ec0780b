using Coord.Chaos.History;
using Coord.Protocol;

namespace Coord.Chaos.Specs;

/// <summary>
/// Generates histories that ZooKeeper could produce, from a sequential model of its own (written apart from the
/// checker's, so the two do not share a mistake): sessions run one op at a time; each op is invoked, takes effect at a
/// random later moment (writes against the newest state; reads against any state between what their session has
/// seen — or, after a sync, what was committed when the sync took effect — and now) and completes later still, so
/// windows overlap at random. Some writes lose their reply (unknown outcome), having taken effect or not.
/// </summary>
internal sealed class RandomHistories(int seed, int sessions = 4, int keys = 3, int opsMax = 80)
{
    private readonly Random random = new(seed);

    private sealed class Node
    {
        public string Data = "";
        public int Version;
    }

    private sealed class InFlight
    {
        public required HistoryOp Op;
        public bool Applied;
        public bool LoseReply;
    }

    /// <summary>Each committed state as (values of the keys, sequential counter, queue children) — reads may see any of them.</summary>
    private readonly List<(Dictionary<string, (string Data, int Version)> Nodes, List<string> Queue)> states = [];

    public OpHistory Generate()
    {
        var keyPaths = Enumerable.Range(0, keys).Select(i => $"/k{i}").ToArray();
        var nodes = keyPaths.ToDictionary(k => k, _ => new Node());
        var queue = new List<string>();
        var counter = 0;
        var init = keyPaths.Select(k => new InitNode { Path = k }).Append(new InitNode { Path = "/q" }).ToList();
        Snapshot(nodes, queue);
        var floors = new int[sessions];
        var syncFloor = new int[sessions];
        var inFlight = new InFlight?[sessions];
        var done = new List<HistoryOp>();
        long time = 0;
        long id = 0;
        var written = 0;
        var started = 0;
        while (started < opsMax || inFlight.Any(f => f is not null))
        {
            var s = random.Next(sessions);
            time++;
            var f = inFlight[s];
            if (f is null)
            {
                if (started >= opsMax) continue;
                started++;
                inFlight[s] = new InFlight { Op = NewOp(++id, s, time, keyPaths, ref written) };
                continue;
            }

            if (!f.Applied)
            {
                if (f.Op.IsWrite && random.Next(12) == 0)
                {
                    // The request is lost before it took effect; the client gives up.
                    done.Add(f.Op with { Complete = time, Outcome = Outcome.Unknown });
                    inFlight[s] = null;
                    continue;
                }

                f.Op = Apply(f.Op, nodes, queue, ref counter, floors, syncFloor);
                f.Applied = true;
                if (f.Op.IsWrite || f.Op.Kind == OpKind.Sync) Snapshot(nodes, queue);
                if (f.Op.Kind == OpKind.Sync) syncFloor[s] = states.Count - 1;
                if (f.Op.IsWrite) floors[s] = states.Count - 1;
                f.LoseReply = f.Op.IsWrite && random.Next(12) == 0;
                continue;
            }

            done.Add(f.LoseReply ? f.Op with { Complete = time, Outcome = Outcome.Unknown, Result = null, Error = null, FailedIndex = null }
                : f.Op with { Complete = time });
            if (f.Op.Kind == OpKind.Sync) floors[s] = Math.Max(floors[s], syncFloor[s]);
            inFlight[s] = null;
        }

        return new OpHistory(init, done.OrderBy(o => o.Id).ToList(), []);
    }

    private HistoryOp NewOp(long id, int s, long time, string[] keyPaths, ref int written)
    {
        var key = keyPaths[random.Next(keyPaths.Length)];
        var op = new HistoryOp { Id = id, Session = s + 1, Invoke = time, Kind = OpKind.GetData, Path = key, Outcome = Outcome.Ok };
        return random.Next(100) switch
        {
            < 35 => op,
            < 40 => op with { Kind = OpKind.Exists },
            < 70 => op with { Kind = OpKind.SetData, Data = $"w{++written}", Version = random.Next(3) == 0 ? -1 : random.Next(4) },
            < 82 => op with { Kind = OpKind.Create, Path = "/q/i-", Sequential = true, Data = $"w{++written}" },
            < 87 => op with { Kind = OpKind.GetChildren, Path = "/q" },
            < 93 => op with { Kind = OpKind.Sync },
            _ => op with
            {
                Kind = OpKind.Multi, Path = null,
                Ops =
                [
                    new SubOp { Kind = OpKind.Check, Path = key, Version = random.Next(3) },
                    new SubOp { Kind = OpKind.SetData, Path = keyPaths[random.Next(keyPaths.Length)], Data = $"w{++written}" },
                ],
            },
        };
    }

    /// <summary>The op taking effect now: its outcome filled in.</summary>
    private HistoryOp Apply(HistoryOp op, Dictionary<string, Node> nodes, List<string> queue, ref int counter, int[] floors, int[] syncFloor)
    {
        var s = (int)op.Session - 1;
        switch (op.Kind)
        {
            case OpKind.SetData:
            {
                var n = nodes[op.Path!];
                if (op.Version != -1 && op.Version != n.Version) return op with { Outcome = Outcome.Error, Error = ErrorCode.BadVersion };
                n.Data = op.Data!;
                n.Version++;
                return op with { Result = new OpReturn { Stat = new StatView { Version = n.Version } } };
            }

            case OpKind.Create:
            {
                var name = $"i-{counter++:D10}";
                queue.Add(name);
                return op with { Result = new OpReturn { Path = "/q/" + name } };
            }

            case OpKind.Multi:
            {
                var check = op.Ops![0];
                var set = op.Ops[1];
                if (nodes[check.Path].Version != check.Version) return op with { Outcome = Outcome.Error, Error = ErrorCode.BadVersion, FailedIndex = 0 };
                var n = nodes[set.Path];
                n.Data = set.Data!;
                n.Version++;
                return op with { Result = new OpReturn { Results = [new OpReturn(), new OpReturn { Stat = new StatView { Version = n.Version } }] } };
            }

            case OpKind.Sync:
                return op;

            default:
            {
                // A read sees some committed state no older than what its session saw, or than its last sync.
                var lower = Math.Max(floors[s], syncFloor[s]);
                var at = random.Next(lower, states.Count);
                floors[s] = at;
                var (snapshot, q) = states[at];
                if (op.Kind == OpKind.GetChildren) return op with { Result = new OpReturn { Children = [.. q] } };
                var (data, version) = snapshot[op.Path!];
                return op.Kind == OpKind.Exists
                    ? op with { Result = new OpReturn { Stat = new StatView { Version = version } } }
                    : op with { Result = new OpReturn { Data = data, Stat = new StatView { Version = version } } };
            }
        }
    }

    private void Snapshot(Dictionary<string, Node> nodes, List<string> queue) =>
        states.Add((nodes.ToDictionary(kv => kv.Key, kv => (kv.Value.Data, kv.Value.Version)), [.. queue]));

    /// <summary>
    /// Plants one anomaly the checker must always see, or returns null if the history offers no place for the kind
    /// asked: 0 = a read returns data never written; 1 = a sequential create returns a name another create got;
    /// 2 = a read returns the initial value of a key its own session had already written.
    /// </summary>
    public static (OpHistory History, string What)? Mutate(OpHistory h, int kind, Random random)
    {
        var ops = h.Ops.ToList();
        switch (kind)
        {
            case 0:
            {
                var reads = ops.Where(o => o.Kind == OpKind.GetData && o.Outcome == Outcome.Ok).ToList();
                if (reads.Count == 0) return null;
                var r = reads[random.Next(reads.Count)];
                ops[ops.IndexOf(r)] = r with { Result = r.Result! with { Data = "never-written" } };
                return (h with { Ops = ops }, $"#{r.Id} reads data never written");
            }

            case 1:
            {
                var creates = ops.Where(o => o.Kind == OpKind.Create && o.Outcome == Outcome.Ok).ToList();
                if (creates.Count < 2) return null;
                var a = creates[random.Next(creates.Count)];
                var b = creates.Where(c => c.Id != a.Id).ElementAt(random.Next(creates.Count - 1));
                ops[ops.IndexOf(b)] = b with { Result = new OpReturn { Path = a.Result!.Path } };
                return (h with { Ops = ops }, $"#{b.Id} gets #{a.Id}'s sequential name");
            }

            default:
            {
                var candidates = ops.Where(r => r.Kind == OpKind.GetData && r.Outcome == Outcome.Ok &&
                        ops.Any(w => w.Session == r.Session && w.Kind == OpKind.SetData && w.Path == r.Path && w.Outcome == Outcome.Ok && w.Complete < r.Invoke))
                    .ToList();
                if (candidates.Count == 0) return null;
                var r = candidates[random.Next(candidates.Count)];
                ops[ops.IndexOf(r)] = r with { Result = new OpReturn { Data = "", Stat = new StatView { Version = 0 } } };
                return (h with { Ops = ops }, $"#{r.Id} reads {r.Path}'s initial value after its session wrote it");
            }
        }
    }
}

namespace Coord.Interop.Specs.Crash;

/// <summary>What a key looks like to a client: absent, or present with data and Stat.version.</summary>
internal readonly record struct NodeState(bool Exists, string Data, int Version)
{
    public static readonly NodeState Absent = new(false, "", -1);

    public override string ToString() => Exists ? $"'{Data}' v{Version}" : "absent";
}

/// <summary>One write a writer sent: the keys it touches, each with its acknowledged state before and
/// the state the write leaves. A multi touches two keys and must land on both or on neither.</summary>
/// Names: create, set, delete; multi-create, multi-set, multi-delete (two keys); multi-check-set (check the first
/// key's version, set the second); multi-fail (set the first key with its right version, check the second with a
/// wrong one: the server must refuse it whole, so both keys stay as they were).
internal sealed record ModelOp(string Name, IReadOnlyList<(int Key, NodeState Before, NodeState After)> Effects)
{
    public bool MustFail => Name == "multi-fail";

    public override string ToString() => $"{Name} on {string.Join(", ", Effects.Select(e => $"k{e.Key}: {e.Before} -> {e.After}"))}";
}

/// <summary>
/// The acknowledged history of one writer's key space, folded: per key the state after the last
/// acknowledged write, and the at most one write in flight on it (a writer never sends a second write to
/// a key before the first is answered). Thread-safe: the writer's lanes share it under one lock.
/// </summary>
internal sealed class WriterModel(int writer, int keyCount)
{
    private readonly Lock gate = new();
    private readonly NodeState[] acked = Enumerable.Repeat(NodeState.Absent, keyCount).ToArray();
    private readonly ModelOp?[] inFlight = new ModelOp?[keyCount];

    public int Writer { get; } = writer;
    public int KeyCount { get; } = keyCount;
    public string Root => $"/crash/w{Writer}";
    public string PathOf(int key) => $"{Root}/k{key}";

    /// <summary>Picks a random write on keys that have nothing in flight and marks them busy; null when
    /// no key is free. <paramref name="tag"/> makes the data unique per write.</summary>
    public ModelOp? Next(Random random, string tag)
    {
        lock (gate)
        {
            var free = Enumerable.Range(0, KeyCount).Where(k => inFlight[k] is null).ToList();
            if (free.Count == 0)
            {
                return null;
            }

            int key = free[random.Next(free.Count)];
            var before = acked[key];
            var partners = free.Where(k => k != key && acked[k].Exists == before.Exists).ToList();
            int roll = random.Next(100);
            ModelOp op;
            if (!before.Exists)
            {
                op = roll < 30 && partners.Count > 0
                    ? Multi("multi-create", key, partners[random.Next(partners.Count)], (_, k) => new NodeState(true, $"{tag}/k{k}", 0))
                    : new ModelOp("create", [(key, before, new NodeState(true, tag, 0))]);
            }
            else if (roll < 20 && partners.Count > 0)
            {
                op = Multi("multi-set", key, partners[random.Next(partners.Count)], (b, k) => b with { Data = $"{tag}/k{k}", Version = b.Version + 1 });
            }
            else if (roll < 27 && partners.Count > 0)
            {
                op = Multi("multi-delete", key, partners[random.Next(partners.Count)], (_, _) => NodeState.Absent);
            }
            else if (roll < 34 && partners.Count > 0)
            {
                op = Multi("multi-check-set", key, partners[random.Next(partners.Count)],
                    (b, k) => k == key ? b : b with { Data = $"{tag}/k{k}", Version = b.Version + 1 });
            }
            else if (roll < 40 && partners.Count > 0)
            {
                op = Multi("multi-fail", key, partners[random.Next(partners.Count)], (b, _) => b);
            }
            else if (roll < 55)
            {
                op = new ModelOp("delete", [(key, before, NodeState.Absent)]);
            }
            else
            {
                op = new ModelOp("set", [(key, before, before with { Data = tag, Version = before.Version + 1 })]);
            }

            foreach (var (k, _, _) in op.Effects)
            {
                inFlight[k] = op;
            }

            return op;
        }
    }

    private ModelOp Multi(string name, int a, int b, Func<NodeState, int, NodeState> after) =>
        new(name, [(a, acked[a], after(acked[a], a)), (b, acked[b], after(acked[b], b))]);

    /// <summary>The write was answered OK: its after-states are now acknowledged.</summary>
    public void Acknowledge(ModelOp op)
    {
        lock (gate)
        {
            foreach (var (k, _, after) in op.Effects)
            {
                acked[k] = after;
                inFlight[k] = null;
            }
        }
    }

    /// <summary>
    /// Compares what the restarted server holds with the model and adopts it: every key must show its
    /// acknowledged state, except that an in-flight write may have landed — on all of its keys or on none.
    /// Returns one line per violation (empty when the server is consistent with the history).
    /// </summary>
    public List<string> Reconcile(IReadOnlyDictionary<int, NodeState> actual, IReadOnlyCollection<string> children)
    {
        var problems = new List<string>();
        lock (gate)
        {
            var seen = new HashSet<ModelOp>();
            for (int k = 0; k < KeyCount; k++)
            {
                var now = actual[k];
                if (inFlight[k] is null)
                {
                    if (now != acked[k])
                    {
                        problems.Add($"{PathOf(k)}: acknowledged {acked[k]}, found {now}");
                    }

                    continue;
                }

                var op = inFlight[k]!;
                if (!seen.Add(op))
                {
                    continue;
                }

                bool none = op.Effects.All(e => actual[e.Key] == e.Before);
                bool all = op.Effects.All(e => actual[e.Key] == e.After);
                if (!none && !all)
                {
                    problems.Add($"{Root}: in-flight {op} landed partly or wrongly: found " +
                        string.Join(", ", op.Effects.Select(e => $"k{e.Key}: {actual[e.Key]}")));
                }
            }

            var expectedChildren = Enumerable.Range(0, KeyCount).Where(k => actual[k].Exists).Select(k => $"k{k}").Order(StringComparer.Ordinal);
            if (!expectedChildren.SequenceEqual(children.Order(StringComparer.Ordinal)))
            {
                problems.Add($"{Root}: children [{string.Join(",", children.Order(StringComparer.Ordinal))}] do not match the keys that exist");
            }

            for (int k = 0; k < KeyCount; k++)
            {
                acked[k] = actual[k];
                inFlight[k] = null;
            }
        }

        return problems;
    }
}

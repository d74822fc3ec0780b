using Coord.Chaos.History;

namespace Coord.Chaos.Checking;

/// <summary>The two kinds of state a znode has for the checker.</summary>
internal enum KeyKind
{
    /// <summary>node:P — exists, data, version, ephemeral owner.</summary>
    Node,

    /// <summary>kids:P — children created so far (the next sequential suffix) and the current child names.</summary>
    Kids,
}

internal sealed record StateKey(KeyKind Kind, string Path)
{
    public override string ToString() => $"{(Kind == KeyKind.Node ? "node" : "kids")}:{Path}";
}

/// <summary>
/// One step of an op on the tree (a plain op is one action, a multi one per sub-op). For a sequential create
/// <see cref="Path"/> is the requested prefix and <see cref="Created"/> the name it returned, when known.
/// </summary>
internal sealed record Action(OpKind Kind, string Path, string? Data, int Version, bool Sequential, bool Ephemeral, string? Created)
{
    public string Parent => Paths.Parent(Path);
}

/// <summary>
/// Which state keys each op touches, chosen so that partitions stay small (P-compositionality): a key goes into an
/// op's footprint only when the history can observe it. kids:P is tracked only when something reads it (getChildren,
/// a sequential create's suffix, a delete of P that could meet children); node:parent only when some op creates or
/// deletes the parent; otherwise those parts are constants taken from the init records. Keys that share an op are
/// merged by union-find into one partition, so a multi (or a session close) spanning paths is checked as one.
/// </summary>
internal sealed class KeyPlan
{
    private readonly Dictionary<StateKey, int> ids = [];
    private readonly List<StateKey> keys = [];
    private readonly Dictionary<string, InitNode> init;
    private readonly HashSet<string> nodeModified = [];
    private readonly HashSet<string> kidsTracked = [];

    /// <summary>Children before the history: listed in an init record, or init records of their own.</summary>
    private readonly Dictionary<string, HashSet<string>> initChildren = [];

    public KeyPlan(OpHistory history, IReadOnlyList<HistoryOp> ops)
    {
        init = history.Init.GroupBy(n => n.Path).ToDictionary(g => g.Key, g => g.Last());
        foreach (var n in init.Values.Where(n => n.Path != "/"))
        {
            if (!initChildren.TryGetValue(Paths.Parent(n.Path), out var set)) initChildren[Paths.Parent(n.Path)] = set = [];
            set.Add(Paths.Name(n.Path));
        }

        foreach (var n in init.Values)
        {
            if (!initChildren.TryGetValue(n.Path, out var set)) initChildren[n.Path] = set = [];
            set.UnionWith(n.Children);
        }
        Actions = ops.ToDictionary(o => o.Id, ActionsOf);
        var ephemeralsBySession = new Dictionary<long, HashSet<string>>();
        var ephemeralParentsBySession = new Dictionary<long, HashSet<string>>();
        var kidsModified = new HashSet<string>();
        var kidsObserved = new HashSet<string>();
        var deleted = new HashSet<string>();
        var referenced = new HashSet<string>();
        foreach (var op in ops)
        {
            foreach (var a in Actions[op.Id])
            {
                referenced.Add(a.Path);
                switch (a.Kind)
                {
                    case OpKind.Create:
                        kidsModified.Add(a.Parent);
                        if (a.Sequential) kidsObserved.Add(a.Parent);
                        if (!a.Sequential) nodeModified.Add(a.Path);
                        if (a.Created is { } created) nodeModified.Add(created);
                        if (a.Ephemeral)
                        {
                            if (!ephemeralParentsBySession.TryGetValue(op.Session, out var parents)) ephemeralParentsBySession[op.Session] = parents = [];
                            parents.Add(a.Parent);
                        }

                        if (a.Ephemeral && (a.Sequential ? a.Created : a.Path) is { } eph)
                        {
                            if (!ephemeralsBySession.TryGetValue(op.Session, out var set)) ephemeralsBySession[op.Session] = set = [];
                            set.Add(eph);
                        }

                        break;
                    case OpKind.Delete:
                        kidsModified.Add(a.Parent);
                        nodeModified.Add(a.Path);
                        deleted.Add(a.Path);
                        break;
                    case OpKind.GetChildren:
                        kidsObserved.Add(a.Path);
                        break;
                }
            }
        }

        foreach (var p in deleted)
        {
            if (kidsModified.Contains(p) || initChildren.GetValueOrDefault(p)?.Count > 0) kidsObserved.Add(p);
        }

        kidsTracked.UnionWith(kidsObserved);
        EphemeralsBySession = ephemeralsBySession;

        foreach (var op in ops)
        {
            var footprint = new SortedSet<int>();
            if (op.Kind == OpKind.CloseSession)
            {
                foreach (var e in ephemeralsBySession.GetValueOrDefault(op.Session) ?? [])
                {
                    footprint.Add(Id(KeyKind.Node, e));
                }

                foreach (var parent in ephemeralParentsBySession.GetValueOrDefault(op.Session) ?? [])
                {
                    if (kidsTracked.Contains(parent)) footprint.Add(Id(KeyKind.Kids, parent));
                }
            }

            foreach (var a in Actions[op.Id])
            {
                foreach (var k in KeysOf(a, referenced)) footprint.Add(k);
            }

            Footprints[op.Id] = [.. footprint];
        }
    }

    /// <summary>The actions of each op, by op id.</summary>
    public Dictionary<long, IReadOnlyList<Action>> Actions { get; }

    /// <summary>The key ids each op touches, by op id (sorted).</summary>
    public Dictionary<long, int[]> Footprints { get; } = [];

    /// <summary>Paths created as ephemerals (names known), by owning session.</summary>
    public Dictionary<long, HashSet<string>> EphemeralsBySession { get; }

    public IReadOnlyList<StateKey> Keys => keys;

    public bool IsKidsTracked(string path) => kidsTracked.Contains(path);

    public bool IsNodeTracked(string path) => nodeModified.Contains(path);

    public int? Find(KeyKind kind, string path) => ids.TryGetValue(new StateKey(kind, path), out var id) ? id : null;

    /// <summary>Whether a node no op creates or deletes exists: yes, no, or unknown (not in the init records).</summary>
    public bool? ConstantExists(string path) =>
        path == "/" || init.ContainsKey(path) ? true : null;

    public long ConstantOwner(string path) => init.TryGetValue(path, out var n) ? n.EphemeralOwner : 0;

    /// <summary>The state of a key before the history: from its init record, or absent / empty.</summary>
    public KeyValue Initial(StateKey key)
    {
        init.TryGetValue(key.Path, out var n);
        if (key.Kind == KeyKind.Node)
        {
            if (n is not null) return new NodeValue(true, n.Data, n.Version, n.EphemeralOwner);
            return key.Path == "/" ? new NodeValue(true, "", 0, 0) : NodeValue.Absent;
        }

        var names = initChildren.GetValueOrDefault(key.Path) ?? [];
        return new KidsValue(Math.Max(n?.ChildCreates ?? 0, names.Count), [.. names.Order(StringComparer.Ordinal)]);
    }

    private IEnumerable<int> KeysOf(Action a, HashSet<string> referenced)
    {
        switch (a.Kind)
        {
            case OpKind.Create:
                if (!a.Sequential) yield return Id(KeyKind.Node, a.Path);
                else if (a.Created is { } created && (referenced.Contains(created) || kidsTracked.Contains(created)))
                    yield return Id(KeyKind.Node, created);
                if (nodeModified.Contains(a.Parent)) yield return Id(KeyKind.Node, a.Parent);
                if (kidsTracked.Contains(a.Parent)) yield return Id(KeyKind.Kids, a.Parent);
                if (!a.Sequential && kidsTracked.Contains(a.Path)) yield return Id(KeyKind.Kids, a.Path);
                break;
            case OpKind.Delete:
                yield return Id(KeyKind.Node, a.Path);
                if (kidsTracked.Contains(a.Path)) yield return Id(KeyKind.Kids, a.Path);
                if (kidsTracked.Contains(a.Parent)) yield return Id(KeyKind.Kids, a.Parent);
                break;
            case OpKind.GetChildren:
                yield return Id(KeyKind.Node, a.Path);
                yield return Id(KeyKind.Kids, a.Path);
                break;
            case OpKind.SetData or OpKind.GetData or OpKind.Exists or OpKind.Check:
                yield return Id(KeyKind.Node, a.Path);
                break;
        }
    }

    private int Id(KeyKind kind, string path)
    {
        var key = new StateKey(kind, path);
        if (!ids.TryGetValue(key, out var id))
        {
            id = keys.Count;
            keys.Add(key);
            ids[key] = id;
        }

        return id;
    }

    private static IReadOnlyList<Action> ActionsOf(HistoryOp op)
    {
        if (op.Kind == OpKind.Multi)
        {
            var subs = op.Ops!;
            var results = op.Outcome == Outcome.Ok ? op.Result?.Results : null;
            return [.. subs.Select((s, i) => new Action(s.Kind, s.Path, s.Data, s.Version, s.Sequential, s.Ephemeral,
                s.Kind == OpKind.Create && s.Sequential ? results?[i].Path : null))];
        }

        if (op.Kind is OpKind.CloseSession or OpKind.Sync) return [];
        var created = op.Kind == OpKind.Create && op.Sequential && op.Outcome == Outcome.Ok ? op.Result?.Path : null;
        return [new Action(op.Kind, op.Path!, op.Data, op.Version, op.Sequential, op.Ephemeral, created)];
    }
}

internal static class Paths
{
    public static string Parent(string path)
    {
        var i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];
}

/// <summary>Union-find over key ids.</summary>
internal sealed class UnionFind
{
    private readonly int[] parent;

    public UnionFind(int count)
    {
        parent = new int[count];
        for (var i = 0; i < count; i++) parent[i] = i;
    }

    public int Find(int x)
    {
        while (parent[x] != x)
        {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }

        return x;
    }

    public void Union(int a, int b)
    {
        a = Find(a);
        b = Find(b);
        if (a != b) parent[Math.Max(a, b)] = Math.Min(a, b);
    }
}

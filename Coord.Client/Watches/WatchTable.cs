using Coord.Protocol;

namespace Coord.Client.Watches;

/// <summary>Which client-side table a watcher sits in (mirrors ZooKeeper's ZKWatchManager).</summary>
internal enum WatchKind { Data, Exist, Child, Persistent, PersistentRecursive }

/// <summary>One registered callback. Reference identity: the same watcher on a path fires once per event.</summary>
internal sealed class Watcher(Action<WatchedEvent> callback)
{
    public Action<WatchedEvent> Callback { get; } = callback;
}

/// <summary>
/// The client's watch registrations, keyed by server path (chroot included). Owned by the session loop:
/// only the loop reads or writes it, so it needs no lock. One-shot watches (data, exist, child) are removed
/// when they fire; persistent ones stay until removed. All of them are replayed with setWatches after a
/// reconnect.
/// </summary>
internal sealed class WatchTable
{
    private readonly Dictionary<string, HashSet<Watcher>>[] tables =
        [new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal)];

    public bool IsEmpty => tables.All(t => t.Count == 0);

    public void Add(WatchKind kind, string path, Watcher watcher)
    {
        var table = tables[(int)kind];
        if (!table.TryGetValue(path, out var set)) table[path] = set = [];
        set.Add(watcher);
    }

    public IReadOnlyCollection<string> Paths(WatchKind kind) => tables[(int)kind].Keys;

    /// <summary>Removes one watcher (or every watcher when null) of a kind on a path; returns the removed ones.</summary>
    public List<Watcher> Remove(WatchKind kind, string path, Watcher? only = null)
    {
        var table = tables[(int)kind];
        if (!table.TryGetValue(path, out var set)) return [];
        if (only is null)
        {
            table.Remove(path);
            return [.. set];
        }
        if (!set.Remove(only)) return [];
        if (set.Count == 0) table.Remove(path);
        return [only];
    }

    /// <summary>
    /// The watchers a server notification fires (ZooKeeper's materialize): one-shot ones are removed;
    /// persistent ones on the path and recursive ones on the path or an ancestor stay (recursive watches do
    /// not see child events).
    /// </summary>
    public HashSet<Watcher> Fire(EventType type, string path)
    {
        var fired = new HashSet<Watcher>(ReferenceEqualityComparer.Instance);
        void Take(WatchKind kind)
        {
            if (tables[(int)kind].Remove(path, out var set)) fired.UnionWith(set);
        }
        switch (type)
        {
            case EventType.NodeCreated:
            case EventType.NodeDataChanged:
                Take(WatchKind.Data);
                Take(WatchKind.Exist);
                break;
            case EventType.NodeChildrenChanged:
                Take(WatchKind.Child);
                break;
            case EventType.NodeDeleted:
                Take(WatchKind.Data);
                Take(WatchKind.Exist);
                Take(WatchKind.Child);
                break;
        }
        if (tables[(int)WatchKind.Persistent].TryGetValue(path, out var persistent)) fired.UnionWith(persistent);
        if (type != EventType.NodeChildrenChanged)
        {
            var recursive = tables[(int)WatchKind.PersistentRecursive];
            for (string? p = path; p is not null; p = Parent(p))
            {
                if (recursive.TryGetValue(p, out var set)) fired.UnionWith(set);
            }
        }
        return fired;
    }

    /// <summary>Every watcher, once (for session events such as Expired).</summary>
    public HashSet<Watcher> All()
    {
        var all = new HashSet<Watcher>(ReferenceEqualityComparer.Instance);
        foreach (var table in tables)
        {
            foreach (var set in table.Values) all.UnionWith(set);
        }
        return all;
    }

    public void Clear()
    {
        foreach (var table in tables) table.Clear();
    }

    private static string? Parent(string path)
    {
        if (path == "/") return null;
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }
}

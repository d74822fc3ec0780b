using Coord.Protocol;

namespace Coord.Actors.Watches;

/// <summary>Kinds of watch a watcher can hold on one path; a watcher may hold several at once.</summary>
[Flags]
public enum WatchBits : byte
{
    None = 0,
    /// <summary>One-time data watch (getData, exists on an existing or missing node).</summary>
    Data = 1,
    /// <summary>One-time child watch (getChildren).</summary>
    Child = 2,
    /// <summary>addWatch PERSISTENT: data and child events on the path, repeatedly.</summary>
    Persistent = 4,
    /// <summary>addWatch PERSISTENT_RECURSIVE: created/deleted/changed on the path and every descendant.</summary>
    Recursive = 8,
}

/// <summary>One notification to deliver: to whom and what.</summary>
public readonly record struct WatchDelivery(long WatcherId, EventType Type, string Path);

/// <summary>
/// The watch registrations of one tree, by path and by watcher (a watcher is a session's current
/// connection). Pure state: firing returns the deliveries, the owning actor sends them. One-time watches
/// are consumed when they fire; persistent ones stay. A watcher gets at most one event per trigger, however
/// many of its registrations match (ZooKeeper's WatchManager semantics).
/// </summary>
public sealed class WatchTable
{
    private readonly Dictionary<string, Dictionary<long, WatchBits>> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<long, HashSet<string>> _byWatcher = new();
    private int _recursiveRegistrations;
    private int _count;

    // Emptied sets kept for reuse. A one-time watch is consumed when it fires and the client re-arms it at
    // once (it reads again with a watch), so without these every fire and re-arm allocated a path set per
    // watcher and a watcher map per path: ~320 B per watcher per event. Bounded; beyond the bound they go.
    private const int SpareSetsMax = 1024;
    private readonly Stack<HashSet<string>> _sparePathSets = new();
    private readonly Stack<Dictionary<long, WatchBits>> _spareWatcherMaps = new();
    private readonly List<(long WatcherId, WatchBits Had, WatchBits Now)> _changes = new();

    /// <summary>
    /// Registrations as ZooKeeper's mntr counts them (zk_watch_count): its data-watch manager's (path, watcher) pairs
    /// plus its child-watch manager's. getData/exists watches and recursive ones live in the first, getChildren
    /// watches in the second, persistent ones in both.
    /// </summary>
    public int Count => _count;
    public int PathCount => _byPath.Count;
    public int WatcherCount => _byWatcher.Count;

    private const WatchBits DataManager = WatchBits.Data | WatchBits.Persistent | WatchBits.Recursive;
    private const WatchBits ChildManager = WatchBits.Child | WatchBits.Persistent;

    private static int Weight(WatchBits bits) => ((bits & DataManager) != 0 ? 1 : 0) + ((bits & ChildManager) != 0 ? 1 : 0);

    public void Add(string path, long watcherId, WatchBits bits)
    {
        if (!_byPath.TryGetValue(path, out var watchers))
            _byPath[path] = watchers = _spareWatcherMaps.TryPop(out var spare) ? spare : new Dictionary<long, WatchBits>();
        watchers.TryGetValue(watcherId, out var had);
        var now = had | bits;
        if (now == had) return;
        watchers[watcherId] = now;
        _count += Weight(now) - Weight(had);
        if ((bits & WatchBits.Recursive) != 0 && (had & WatchBits.Recursive) == 0) _recursiveRegistrations++;
        if (!_byWatcher.TryGetValue(watcherId, out var paths))
            _byWatcher[watcherId] = paths = _sparePathSets.TryPop(out var spare) ? spare : new HashSet<string>(StringComparer.Ordinal);
        paths.Add(path);
    }

    public bool Has(string path, long watcherId, WatchBits anyOf) =>
        _byPath.TryGetValue(path, out var w) && w.TryGetValue(watcherId, out var bits) && (bits & anyOf) != 0;

    /// <summary>Removes the given kinds; true if anything was removed (removeWatches / NOWATCHER).</summary>
    public bool Remove(string path, long watcherId, WatchBits bits)
    {
        if (!_byPath.TryGetValue(path, out var watchers) || !watchers.TryGetValue(watcherId, out var had)) return false;
        var removed = had & bits;
        if (removed == 0) return false;
        Set(path, watchers, watcherId, had, had & ~bits);
        return true;
    }

    /// <summary>Drops every registration of a watcher (its connection closed or moved).</summary>
    public void RemoveWatcher(long watcherId)
    {
        if (!_byWatcher.TryGetValue(watcherId, out var paths)) return;
        foreach (var path in paths.ToArray())
            if (_byPath.TryGetValue(path, out var watchers) && watchers.TryGetValue(watcherId, out var had))
                Set(path, watchers, watcherId, had, WatchBits.None);
        _byWatcher.Remove(watcherId);
    }

    private void Set(string path, Dictionary<long, WatchBits> watchers, long watcherId, WatchBits had, WatchBits now)
    {
        _count += Weight(now) - Weight(had);
        if ((had & WatchBits.Recursive) != 0 && (now & WatchBits.Recursive) == 0) _recursiveRegistrations--;
        if (now == WatchBits.None)
        {
            watchers.Remove(watcherId);
            if (watchers.Count == 0)
            {
                _byPath.Remove(path);
                if (_spareWatcherMaps.Count < SpareSetsMax) _spareWatcherMaps.Push(watchers);
            }
            if (_byWatcher.TryGetValue(watcherId, out var paths))
            {
                paths.Remove(path);
                if (paths.Count == 0)
                {
                    _byWatcher.Remove(watcherId);
                    if (_sparePathSets.Count < SpareSetsMax) _sparePathSets.Push(paths);
                }
            }
        }
        else
        {
            watchers[watcherId] = now;
        }
    }

    /// <summary>
    /// Fires the watches a change triggers and appends the deliveries to <paramref name="output"/>.
    /// <paramref name="path"/> is the changed node, or the parent for <see cref="EventType.NodeChildrenChanged"/>.
    /// </summary>
    public void Fire(string path, EventType type, List<WatchDelivery> output)
    {
        int start = output.Count;
        WatchBits oneTime = type switch
        {
            EventType.NodeCreated or EventType.NodeDataChanged => WatchBits.Data,
            EventType.NodeChildrenChanged => WatchBits.Child,
            EventType.NodeDeleted => WatchBits.Data | WatchBits.Child,
            _ => WatchBits.None,
        };
        if (_byPath.TryGetValue(path, out var watchers))
        {
            _changes.Clear();
            foreach (var (watcherId, bits) in watchers)
            {
                bool fires = (bits & (oneTime | WatchBits.Persistent)) != 0
                    || (type != EventType.NodeChildrenChanged && (bits & WatchBits.Recursive) != 0);
                if (!fires) continue;
                output.Add(new WatchDelivery(watcherId, type, path));
                if ((bits & oneTime) != 0) _changes.Add((watcherId, bits, bits & ~oneTime));
            }
            foreach (var (watcherId, had, now) in _changes) Set(path, watchers, watcherId, had, now);
            _changes.Clear();
        }
        // Recursive watches on ancestors see created/deleted/changed of every descendant, never child events.
        if (_recursiveRegistrations == 0 || type == EventType.NodeChildrenChanged || path == "/") return;
        for (string? ancestor = Parent(path); ancestor is not null; ancestor = Parent(ancestor))
        {
            if (!_byPath.TryGetValue(ancestor, out var up)) continue;
            foreach (var (watcherId, bits) in up)
            {
                if ((bits & WatchBits.Recursive) == 0 || AlreadyDelivered(output, start, watcherId)) continue;
                output.Add(new WatchDelivery(watcherId, type, path));
            }
        }
    }

    private static bool AlreadyDelivered(List<WatchDelivery> output, int start, long watcherId)
    {
        for (int i = start; i < output.Count; i++) if (output[i].WatcherId == watcherId) return true;
        return false;
    }

    private static string? Parent(string path)
    {
        if (path == "/") return null;
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    // wchc, wchp and wchs show ZooKeeper's data-watch manager only (getData/exists, persistent and recursive
    // watches): a watch set by getChildren alone is in none of them, though mntr's zk_watch_count counts it.

    /// <summary>Paths a watcher watches as wchc lists them (not getChildren-only watches), sorted.</summary>
    public IReadOnlyList<string> PathsOf(long watcherId) =>
        _byWatcher.TryGetValue(watcherId, out var p)
            ? p.Where(path => (_byPath[path][watcherId] & DataManager) != 0).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Watchers by path as wchp lists them (not getChildren-only watches), sorted by path.</summary>
    public IEnumerable<(string Path, IReadOnlyList<long> Watchers)> ByPath() =>
        _byPath.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (kv.Key, (IReadOnlyList<long>)kv.Value.Where(w => (w.Value & DataManager) != 0).Select(w => w.Key).Order().ToList()))
            .Where(x => x.Item2.Count > 0);

    /// <summary>Watcher ids as wchc lists them (those with a watch other than getChildren-only ones), sorted.</summary>
    public IReadOnlyList<long> Watchers() => _byWatcher.Keys.Where(w => PathsOf(w).Count > 0).Order().ToList();
}

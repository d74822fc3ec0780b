using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>What a <see cref="TreeCache"/> event reports.</summary>
public enum TreeCacheEventType
{
    /// <summary>A node entered the cache (created, or found by the initial read or a resync).</summary>
    NodeAdded,

    /// <summary>A cached node's data changed (its mzxid grew).</summary>
    NodeUpdated,

    /// <summary>A node left the cache (deleted).</summary>
    NodeRemoved,

    /// <summary>The initial read is complete; raised once, after the NodeAdded events of that read.</summary>
    Initialized,
}

/// <summary>One change of a <see cref="TreeCache"/>.</summary>
/// <param name="Type">What happened.</param>
/// <param name="Path">The node's path (the cache's root for <see cref="TreeCacheEventType.Initialized"/>).</param>
/// <param name="Previous">The cached value before (null for NodeAdded and Initialized).</param>
/// <param name="Node">The cached value after (null for NodeRemoved and Initialized).</param>
public sealed record TreeCacheEvent(TreeCacheEventType Type, string Path, CachedNode? Previous, CachedNode? Node)
{
    /// <inheritdoc />
    public override string ToString() => $"{Type} {Path} v{Node?.Stat.Version ?? Previous?.Stat.Version}";
}

/// <summary>Settings of a <see cref="TreeCache"/>.</summary>
public sealed record TreeCacheOptions
{
    /// <summary>How deep below the root nodes are cached: 0 = the root only, 1 = the root and its children, ...
    /// Default: unlimited.</summary>
    public int MaxDepth { get; init; } = int.MaxValue;
}

/// <summary>
/// Mirrors a subtree: every node under a root (up to <see cref="TreeCacheOptions.MaxDepth"/>) with its data and Stat
/// (Curator's TreeCache / CuratorCache). One persistent recursive watch on the root (ZooKeeper 3.6+) reports each
/// create, delete and data change; the cache re-reads the nodes named by a batch of events (pipelined getData calls,
/// applied in the order the server answered them), and also re-reads the parent of a created or deleted node so its
/// child counters stay exact. After a reconnect it walks the whole subtree again, because a persistent watch that
/// setWatches2 re-adds does not replay what changed while disconnected; nodes the walk does not find are removed.
/// </summary>
/// <remarks>
/// Why this converges: a read is issued only after the events that caused it were received, so it returns a state
/// at least as new as those events, and reads on one session are answered in order; once writes stop, the last
/// event of every changed node is followed by a read of its final state. A value is never replaced by an older one
/// (mzxid, then czxid, are compared), and a node that was deleted and re-created between two reads is reported as
/// NodeRemoved then NodeAdded (and its cached descendants older than the new node are removed first), so a
/// listener never sees a node's version go backwards.
/// <para>Ordering contract: one loop reads and applies; <see cref="Changed"/> handlers run on it, one at a time, in
/// the order changes are applied (keep them short; one that throws stops the cache and faults
/// <see cref="Completion"/>). <see cref="GetCurrentData"/>, <see cref="GetCurrentChildren"/> and
/// <see cref="Snapshot"/> may be called from any thread. A transiently orphaned entry (a child read before its
/// re-created parent) is possible while events are pending; it resolves with them.</para>
/// <para>Expiry: a <see cref="CoordClient"/> is dead after its session expires, so the cache stops, keeps its
/// (now stale) contents and faults <see cref="Completion"/> with <see cref="SessionExpiredException"/>; build a new
/// client and a new cache.</para>
/// </remarks>
/// <example><code>
/// await using var cache = new TreeCache(client, "/services", new TreeCacheOptions { MaxDepth = 2 });
/// cache.Changed += (_, e) => Console.WriteLine(e);   // NodeAdded /services/api ... Initialized ...
/// await cache.StartAsync();                          // returns after Initialized
/// var instances = cache.GetCurrentChildren("/services/api");
/// </code></example>
public sealed class TreeCache : IAsyncDisposable
{
    private readonly CoordClient client;
    private readonly CacheFeed feed;
    private readonly int maxDepth;
    private readonly CancellationTokenSource stop = new();
    private readonly TaskCompletionSource initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock gate = new();
    private readonly Dictionary<string, CachedNode> nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> childNames = new(StringComparer.Ordinal);
    private readonly List<TreeCacheEvent> pending = [];
    private Task? loop;
    private int started;
    private int disposed;

    /// <summary>A cache of the subtree at <paramref name="root"/> (which need not exist).</summary>
    /// <param name="client">The session to read and watch with.</param>
    /// <param name="root">The subtree's root.</param>
    /// <param name="options">Settings; null = defaults.</param>
    public TreeCache(CoordClient client, string root, TreeCacheOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(root);
        options ??= new TreeCacheOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxDepth);
        this.client = client;
        Root = root.Length > 1 ? root.TrimEnd('/') : root;
        maxDepth = options.MaxDepth;
        feed = new CacheFeed(client, Root, AddWatchMode.PersistentRecursive);
    }

    /// <summary>The subtree's root.</summary>
    public string Root { get; }

    /// <summary>Raised on the cache's loop for every change, in the order applied.</summary>
    public event EventHandler<TreeCacheEvent>? Changed;

    /// <summary>Completes when the cache stops: normally after <see cref="DisposeAsync"/> or when the client is
    /// disposed; faulted with <see cref="SessionExpiredException"/> on expiry, or with the error that stopped it.</summary>
    public Task Completion => completion.Task;

    /// <summary>Adds the recursive watch, reads the subtree (raising NodeAdded for each node, then Initialized) and
    /// returns once that initial read is done; the cache then follows changes until disposed.</summary>
    /// <param name="ct">Cancels the wait (the cache keeps starting; dispose it to stop it).</param>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref started, 1) != 0) throw new InvalidOperationException("the cache was already started");
        try
        {
            await feed.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            feed.Stop();
            completion.TrySetResult();
            throw;
        }
        loop = RunAsync();
        await Task.WhenAny(initialized.Task, completion.Task).WaitAsync(ct).ConfigureAwait(false);
        if (!initialized.Task.IsCompleted)
        {
            await completion.Task.ConfigureAwait(false); // throws what stopped it
            throw new ObjectDisposedException(nameof(TreeCache), "the cache stopped before it was initialized");
        }
    }

    /// <summary>The cached node at <paramref name="path"/>, or null if it is not cached.</summary>
    /// <param name="path">A full path.</param>
    public CachedNode? GetCurrentData(string path)
    {
        lock (gate) return nodes.GetValueOrDefault(path);
    }

    /// <summary>The cached children of <paramref name="path"/> by name, or null if the node is not cached.</summary>
    /// <param name="path">A full path.</param>
    public IReadOnlyDictionary<string, CachedNode>? GetCurrentChildren(string path)
    {
        lock (gate)
        {
            if (!nodes.ContainsKey(path)) return null;
            var children = new Dictionary<string, CachedNode>(StringComparer.Ordinal);
            if (childNames.TryGetValue(path, out var names))
            {
                foreach (string name in names)
                {
                    if (nodes.TryGetValue(Join(path, name), out var node)) children[name] = node;
                }
            }
            return children;
        }
    }

    /// <summary>A copy of every cached node, by path.</summary>
    public IReadOnlyDictionary<string, CachedNode> Snapshot()
    {
        lock (gate) return new Dictionary<string, CachedNode>(nodes, StringComparer.Ordinal);
    }

    /// <summary>Stops the cache and drops its watch. The client is not disposed. Disposing twice is a no-op.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        feed.Stop();
        await stop.CancelAsync().ConfigureAwait(false);
        if (loop is not null) await loop.ConfigureAwait(false);
        completion.TrySetResult();
        stop.Dispose();
    }

    private async Task RunAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                try
                {
                    await ResyncAsync().ConfigureAwait(false);
                    break;
                }
                catch (ConnectionLossException)
                {
                    // Retries ran out while the connection flapped: walk again once it is back.
                }
            }
            pending.Add(new TreeCacheEvent(TreeCacheEventType.Initialized, Root, null, null));
            Raise();
            initialized.TrySetResult();
            while (true)
            {
                var batch = await feed.NextBatchAsync(stop.Token).ConfigureAwait(false);
                if (batch.Count == 0) break;
                if (batch.OfType<CacheWork.Ended>().FirstOrDefault() is { } ended)
                {
                    error = ended.Error;
                    break;
                }
                try
                {
                    if (batch.Any(w => w is CacheWork.Resync)) await ResyncAsync().ConfigureAwait(false);
                    else await RefreshAsync(Dirty(batch)).ConfigureAwait(false);
                }
                catch (ConnectionLossException)
                {
                    // The retries ran out while the connection flapped: walk again (the reads wait for the reconnection).
                    feed.Post(new CacheWork.Resync());
                }
                finally
                {
                    Raise();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
            // The client was disposed under us: a normal end.
        }
        catch (Exception e)
        {
            error = e;
        }
        feed.Stop();
        if (error is null) completion.TrySetResult();
        else completion.TrySetException(error);
    }

    /// <summary>The paths a batch of events asks to re-read, in first-seen order: each event's node and, for a
    /// create or delete, its parent (whose child counters changed).</summary>
    private List<string> Dirty(List<CacheWork> batch)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var dirty = new List<string>();
        void Add(string path)
        {
            if (Depth(path) is int d && d <= maxDepth && seen.Add(path)) dirty.Add(path);
        }
        foreach (var item in batch)
        {
            if (item is not CacheWork.Changed { Type: var type, Path: var path }) continue;
            Add(path);
            if (type is EventType.NodeCreated or EventType.NodeDeleted && path != Root) Add(Parent(path));
        }
        return dirty;
    }

    /// <summary>Re-reads the given nodes (pipelined) and applies the answers in order.</summary>
    private async Task RefreshAsync(List<string> paths)
    {
        var reads = paths.Select(p => ReadAsync(p)).ToList();
        try
        {
            for (int i = 0; i < paths.Count; i++) Apply(paths[i], await reads[i].ConfigureAwait(false));
        }
        catch
        {
            await ObserveAsync(reads).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Walks the subtree level by level (pipelined getData + getChildren per level), applies what it finds
    /// and removes every cached node it did not find.</summary>
    private async Task ResyncAsync()
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var level = new List<string> { Root };
        for (int depth = 0; level.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (var chunk in level.Chunk(CacheFeed.BatchItemsMax))
            {
                var reads = chunk.Select(p => (Data: ReadAsync(p), Children: depth < maxDepth ? ChildrenAsync(p) : null)).ToList();
                try
                {
                    for (int i = 0; i < chunk.Length; i++)
                    {
                        var node = await reads[i].Data.ConfigureAwait(false);
                        var children = reads[i].Children is { } c ? await c.ConfigureAwait(false) : [];
                        if (node is null) continue;
                        found.Add(chunk[i]);
                        Apply(chunk[i], node);
                        next.AddRange(children.Select(name => Join(chunk[i], name)));
                    }
                }
                catch
                {
                    await ObserveAsync(reads.Select(r => (Task)r.Data).Concat(reads.Where(r => r.Children is not null).Select(r => (Task)r.Children!)))
                        .ConfigureAwait(false);
                    throw;
                }
            }
            level = next;
        }
        List<string> gone;
        lock (gate) gone = nodes.Keys.Where(p => !found.Contains(p)).ToList();
        foreach (string path in gone.OrderByDescending(Depth)) RemoveOne(path);
    }

    private async Task<CachedNode?> ReadAsync(string path)
    {
        try
        {
            var (data, stat) = await client.GetDataAsync(path, ct: stop.Token).ConfigureAwait(false);
            return new CachedNode(path, data, stat);
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    private async Task<IReadOnlyList<string>> ChildrenAsync(string path)
    {
        try
        {
            return await client.GetChildrenAsync(path, ct: stop.Token).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    private static async Task ObserveAsync(IEnumerable<Task> tasks)
    {
        foreach (var task in tasks)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch
            {
                // Already failing with the first error; the rest only need observing.
            }
        }
    }

    /// <summary>Applies one read of <paramref name="path"/> (null: it does not exist).</summary>
    private void Apply(string path, CachedNode? read)
    {
        var cached = GetCurrentData(path);
        if (read is null)
        {
            // Gone: so is everything that was under it.
            if (cached is not null || HasChildren(path)) RemoveSubtree(path, bornBefore: long.MaxValue);
            return;
        }
        if (cached is null)
        {
            Put(read, TreeCacheEventType.NodeAdded, null);
            return;
        }
        var (now, then) = (read.Stat, cached.Stat);
        if (now.Czxid < then.Czxid || (now.Czxid == then.Czxid && now.Mzxid < then.Mzxid)) return; // an older read
        if (now.Czxid != then.Czxid)
        {
            // Deleted and re-created between two reads: the old node and its old descendants are gone.
            RemoveSubtree(path, bornBefore: now.Czxid);
            Put(read, TreeCacheEventType.NodeAdded, null);
        }
        else if (now.Mzxid > then.Mzxid)
        {
            Put(read, TreeCacheEventType.NodeUpdated, cached);
        }
        else if (now != then && now.Pzxid >= then.Pzxid)
        {
            // Same data; only the child counters moved. Keep the Stat exact without an event (as Curator does).
            lock (gate) nodes[path] = read;
        }
    }

    private void Put(CachedNode node, TreeCacheEventType type, CachedNode? previous)
    {
        lock (gate)
        {
            nodes[node.Path] = node;
            if (node.Path != Root)
            {
                string parent = Parent(node.Path);
                if (!childNames.TryGetValue(parent, out var names)) childNames[parent] = names = new(StringComparer.Ordinal);
                names.Add(Name(node.Path));
            }
        }
        pending.Add(new TreeCacheEvent(type, node.Path, previous, node));
    }

    /// <summary>Removes <paramref name="path"/> and its cached descendants created before <paramref name="bornBefore"/>
    /// (a zxid), deepest first.</summary>
    private void RemoveSubtree(string path, long bornBefore)
    {
        List<string> under;
        lock (gate)
        {
            under = [];
            var stack = new Stack<string>([path]);
            while (stack.TryPop(out var p))
            {
                under.Add(p);
                if (childNames.TryGetValue(p, out var names)) foreach (string name in names) stack.Push(Join(p, name));
            }
        }
        foreach (string p in under.OrderByDescending(Depth))
        {
            if (p == path || GetCurrentData(p) is not { } node || node.Stat.Czxid < bornBefore) RemoveOne(p);
        }
    }

    private void RemoveOne(string path)
    {
        CachedNode? removed;
        lock (gate)
        {
            if (!nodes.Remove(path, out removed)) removed = null;
            if (path != Root && childNames.TryGetValue(Parent(path), out var names))
            {
                names.Remove(Name(path));
                if (names.Count == 0) childNames.Remove(Parent(path));
            }
        }
        if (removed is not null) pending.Add(new TreeCacheEvent(TreeCacheEventType.NodeRemoved, path, removed, null));
    }

    private bool HasChildren(string path)
    {
        lock (gate) return childNames.ContainsKey(path);
    }

    /// <summary>Raises the events of one step, outside the lock.</summary>
    private void Raise()
    {
        var events = pending.ToArray();
        pending.Clear();
        foreach (var e in events) Changed?.Invoke(this, e);
    }

    /// <summary>The depth of <paramref name="path"/> below the root (0 = the root), or null if it is not under it.</summary>
    private int? Depth(string path)
    {
        if (path == Root) return 0;
        string prefix = Root == "/" ? "/" : Root + "/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal)) return null;
        return path.AsSpan(prefix.Length).Count('/') + 1;
    }

    private static string Join(string parent, string name) => parent == "/" ? "/" + name : parent + "/" + name;

    private static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    private static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];
}

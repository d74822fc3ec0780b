using System.Diagnostics;
using System.Text;
using Coord.Protocol;
using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary>The <see cref="NodeCache"/> and <see cref="TreeCache"/> recipes, against Apache ZooKeeper and Coord:
/// every change is seen in order, and a tree cache converges to exactly the server's subtree after heavy churn by
/// several writer sessions, also when its connection is cut in the middle.</summary>
public sealed class CacheSpecs(ServersFixture servers, ITestOutputHelper output) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    private const int Writers = 4;
    private const int LoopsPerWriter = 2;
    private const int OpsPerLoop = 300;

    [Theory, MemberData(nameof(Kinds))]
    public async Task Node_cache_sees_create_update_delete_and_re_create_in_order(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var client = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var writer = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(writer, "nodecache");
        string path = $"{root}/config";
        await using var cache = new NodeCache(client, path);
        var changes = new List<NodeCacheChange>();
        cache.Changed += (_, change) => changes.Add(change);
        await cache.StartAsync();
        Assert.Null(cache.Current);
        await using var values = cache.WatchAsync().GetAsyncEnumerator();

        Assert.Null(await NextAsync(values));
        var created = await writer.CreateWithStatAsync(path, Bytes("v1"));
        var v1 = await NextAsync(values);
        Assert.Equal(("v1", 0, created.Stat!.Value.Czxid), (Text(v1), v1!.Stat.Version, v1.Stat.Czxid));
        await writer.SetDataAsync(path, Bytes("v2"));
        var v2 = await NextAsync(values);
        Assert.Equal(("v2", 1), (Text(v2), v2!.Stat.Version));
        await writer.DeleteAsync(path);
        Assert.Null(await NextAsync(values));
        Assert.Null(cache.Current);
        await writer.CreateAsync(path, Bytes("v3"));
        var v3 = await NextAsync(values);
        Assert.Equal(("v3", 0), (Text(v3), v3!.Stat.Version));
        Assert.True(v3.Stat.Czxid > v1.Stat.Czxid);
        Assert.Equal(v3, cache.Current);
        Assert.Equal([null, v1, v2, null], changes.Select(c => c.Previous));
        Assert.Equal([v1, v2, null, v3], changes.Select(c => c.Current));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Node_cache_catches_up_with_changes_made_while_disconnected(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options());
        await using var writer = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(writer, "nodecache-drop");
        string path = $"{root}/config";
        await writer.CreateAsync(path, Bytes("before"));
        await using var cache = new NodeCache(client, path);
        await cache.StartAsync();
        Assert.Equal("before", Text(cache.Current));
        await using var values = cache.WatchAsync().GetAsyncEnumerator();
        Assert.Equal("before", Text(await NextAsync(values)));

        var disconnected = WaitForStateAsync(client, ConnectionState.Disconnected);
        proxy.Pause();
        proxy.DropAll();
        await disconnected;
        // Deleted and re-created while the cache cannot hear: its persistent watch does not replay this.
        await writer.DeleteAsync(path);
        var recreated = await writer.CreateWithStatAsync(path, Bytes("during"));
        proxy.Resume();

        Assert.Null(await NextAsync(values)); // the old node is reported gone before the new one arrives
        var after = await NextAsync(values);
        Assert.Equal("during", Text(after));
        Assert.Equal(recreated.Stat, after!.Stat);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Node_cache_stops_with_session_expired_and_keeps_its_last_value(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options(sessionMs: 1500));
        await using var writer = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(writer, "nodecache-expiry");
        string path = $"{root}/config";
        await writer.CreateAsync(path, Bytes("last"));
        await using var cache = new NodeCache(client, path);
        await cache.StartAsync();
        var stream = Task.Run(async () =>
        {
            await foreach (var _ in cache.WatchAsync()) { }
        });

        // An ephemeral of the cache's session tells when the server has expired it.
        var probe = await client.CreateAsync($"{root}/probe", null, mode: CreateMode.Ephemeral);
        var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.NotNull(await writer.ExistsAsync(probe, e =>
        {
            if (e.Type == EventType.NodeDeleted) gone.TrySetResult();
        }));

        var expired = WaitForStateAsync(client, ConnectionState.Expired);
        proxy.Pause();
        proxy.DropAll();
        await gone.Task.WaitAsync(Wait);
        await writer.SetDataAsync(path, Bytes("unseen"));
        proxy.Resume();
        await expired;

        await Assert.ThrowsAsync<SessionExpiredException>(() => cache.Completion.WaitAsync(Wait));
        await Assert.ThrowsAsync<SessionExpiredException>(() => stream.WaitAsync(Wait));
        Assert.Equal("last", Text(cache.Current));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Tree_cache_converges_to_the_server_after_heavy_churn(string kind) =>
        await ChurnAsync(kind, dropConnection: false);

    [Theory, MemberData(nameof(Kinds))]
    public async Task Tree_cache_converges_after_heavy_churn_with_its_connection_cut_in_the_middle(string kind) =>
        await ChurnAsync(kind, dropConnection: true);

    [Theory, MemberData(nameof(Kinds))]
    public async Task Tree_cache_respects_max_depth_and_lists_children(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var client = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(client, "treecache-depth");
        await client.CreateAsync($"{root}/a", Bytes("a"));
        await client.CreateAsync($"{root}/a/deep", Bytes("deep"));
        await using var cache = new TreeCache(client, root, new TreeCacheOptions { MaxDepth = 1 });
        var events = new EventLog();
        cache.Changed += (_, e) => events.Add(e);
        await cache.StartAsync();
        await client.CreateAsync($"{root}/b", Bytes("b"));
        await client.CreateAsync($"{root}/a/deeper", null);
        await client.CreateAsync($"{root}/sentinel", null);
        await events.WaitForAsync(TreeCacheEventType.NodeAdded, $"{root}/sentinel");

        Assert.Equal(new[] { root, $"{root}/a", $"{root}/b", $"{root}/sentinel" }.Order(), cache.Snapshot().Keys.Order());
        Assert.Equal(["a", "b", "sentinel"], cache.GetCurrentChildren(root)!.Keys.Order());
        Assert.Empty(cache.GetCurrentChildren($"{root}/a")!);
        Assert.Null(cache.GetCurrentChildren($"{root}/a/deep"));
        Assert.Equal("a", Text(cache.GetCurrentData($"{root}/a")));
        // The depth-1 node's Stat still counts the children the cache does not hold.
        Assert.Equal(2, cache.GetCurrentData($"{root}/a")!.Stat.NumChildren);
        Assert.Empty(events.Violations);

        // Closing the client ends the cache normally, with its contents kept.
        Assert.False(cache.Completion.IsCompleted);
        await client.DisposeAsync();
        await cache.Completion.WaitAsync(Wait);
        Assert.Equal(4, cache.Snapshot().Count);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Tree_cache_of_an_absent_root_follows_its_creation_and_deletion(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var client = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var writer = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string parent = await RootAsync(writer, "treecache-absent");
        string root = $"{parent}/tree";
        await using var cache = new TreeCache(client, root);
        var events = new EventLog();
        cache.Changed += (_, e) => events.Add(e);
        await cache.StartAsync();
        Assert.Empty(cache.Snapshot());
        Assert.Null(cache.GetCurrentChildren(root));

        await writer.CreateAsync(root, Bytes("r"));
        await writer.CreateAsync($"{root}/a", Bytes("a"));
        await writer.CreateAsync($"{root}/a/b", Bytes("b"));
        await events.WaitForAsync(TreeCacheEventType.NodeAdded, $"{root}/a/b");
        Assert.Equal(["a"], cache.GetCurrentChildren(root)!.Keys);
        Assert.Equal("b", Text(cache.GetCurrentData($"{root}/a/b")));

        await writer.DeleteAsync($"{root}/a/b");
        await writer.DeleteAsync($"{root}/a");
        await writer.DeleteAsync(root);
        await events.WaitForAsync(TreeCacheEventType.NodeRemoved, root);
        Assert.Empty(cache.Snapshot());
        Assert.Empty(events.Violations);
        Assert.Equal(1, events.Initialized);
    }

    private async Task ChurnAsync(string kind, bool dropConnection)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options());
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(admin, "treecache");
        var paths = ChurnPaths(root);
        // Something to find on the initial read.
        foreach (var p in paths.Take(6)) await IgnoreAsync(() => admin.CreateAsync(p, Bytes("initial")));
        // A quiet corner the churn never touches: changed once, in the middle (while disconnected in the drop
        // variant), so only a cache that catches up after a reconnect has it right at the end.
        string quiet = $"{root}/quiet";
        await admin.CreateAsync(quiet, null);
        foreach (string k in new[] { "k1", "k2" }) await admin.CreateAsync($"{quiet}/{k}", Bytes("initial"));

        await using var cache = new TreeCache(client, root);
        var events = new EventLog();
        cache.Changed += (_, e) => events.Add(e);
        await cache.StartAsync();
        Assert.Equal(1, events.Initialized);

        var writers = new CoordClient[Writers];
        for (int i = 0; i < Writers; i++) writers[i] = await CoordClient.ConnectAsync(server.ConnectString, Options());
        try
        {
            int done = 0;
            const int total = Writers * LoopsPerWriter * OpsPerLoop;
            var half = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var threeQuarters = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int seed = Environment.TickCount;
            output.WriteLine($"{kind}: seed {seed}");
            var clock = Stopwatch.StartNew();
            var churn = Enumerable.Range(0, Writers * LoopsPerWriter).Select(n => Task.Run(async () =>
            {
                var random = new Random(seed + n);
                var writer = writers[n % Writers];
                for (int i = 0; i < OpsPerLoop; i++)
                {
                    string path = paths[random.Next(paths.Count)];
                    int roll = random.Next(10);
                    if (roll < 4) await IgnoreAsync(() => writer.SetDataAsync(path, Bytes($"w{n}-{i}")));
                    else if (roll < 7) await IgnoreAsync(() => writer.CreateAsync(path, Bytes($"c{n}-{i}")));
                    else await IgnoreAsync(() => writer.DeleteAsync(path));
                    int now = Interlocked.Increment(ref done);
                    if (now == total / 2) half.TrySetResult();
                    if (now == total * 3 / 4) threeQuarters.TrySetResult();
                }
            })).ToList();

            if (dropConnection)
            {
                await half.Task.WaitAsync(Wait);
                var disconnected = WaitForStateAsync(client, ConnectionState.Disconnected);
                proxy.Pause();
                proxy.DropAll();
                await disconnected;
                await QuietChangesAsync(admin, quiet);
                // A quarter of the churn happens while the cache cannot hear it.
                await threeQuarters.Task.WaitAsync(Wait);
                var reconnected = WaitForStateAsync(client, ConnectionState.Connected);
                proxy.Resume();
                await reconnected;
            }
            else
            {
                await half.Task.WaitAsync(Wait);
                await QuietChangesAsync(admin, quiet);
            }
            await Task.WhenAll(churn).WaitAsync(Wait);
            long churnMs = clock.ElapsedMilliseconds;

            // Quiesce: a last create and then a last set by one writer. The set can only reach the cache as an event
            // (a resync walk that found the sentinel finished before the set was issued), and the cache raises it
            // after applying the reads of every earlier event, the sentinel's parent included.
            string sentinel = $"{root}/sentinel";
            await admin.CreateAsync(sentinel, null);
            await events.WaitForAsync(TreeCacheEventType.NodeAdded, sentinel);
            await admin.SetDataAsync(sentinel, Bytes("done"));
            await events.WaitForAsync(TreeCacheEventType.NodeUpdated, sentinel);
            output.WriteLine($"{kind}: {total} ops in {churnMs} ms, converged {clock.ElapsedMilliseconds - churnMs} ms later, " +
                $"{events.Count} events, {(dropConnection ? "with" : "without")} a dropped connection");

            var expected = await ReadTreeAsync(admin, root);
            var actual = cache.Snapshot();
            Assert.Empty(expected.Keys.Except(actual.Keys).Select(p => $"missing {p}"));
            Assert.Empty(actual.Keys.Except(expected.Keys).Select(p => $"stale {p}"));
            foreach (var (path, node) in expected)
            {
                Assert.Equal(Encoding.UTF8.GetString(node.Data), Text(actual[path]));
                Assert.True(node.Stat == actual[path].Stat, $"{path}: server {node.Stat}, cache {actual[path].Stat}");
            }
            Assert.Empty(events.Violations);
            Assert.Equal(1, events.Initialized);
            Assert.Equal(expected.Keys.Order(), events.Present.Order()); // the events tell the same story as the contents
            Assert.False(cache.Completion.IsCompleted);
        }
        finally
        {
            foreach (var writer in writers) await writer.DisposeAsync();
        }
    }

    private static async Task QuietChangesAsync(CoordClient admin, string quiet)
    {
        await admin.DeleteAsync($"{quiet}/k1");
        await admin.SetDataAsync($"{quiet}/k2", Bytes("changed"));
        await admin.CreateAsync($"{quiet}/k3", Bytes("new"));
    }

    /// <summary>A small subtree three levels deep, so creates and deletes often fail on a missing parent or children.</summary>
    private static List<string> ChurnPaths(string root)
    {
        var paths = new List<string>();
        foreach (string a in new[] { "a", "b", "c", "d" })
        {
            paths.Add($"{root}/{a}");
            foreach (string b in new[] { "x", "y", "z" }) paths.Add($"{root}/{a}/{b}");
        }
        foreach (string b in new[] { "x", "y" })
        {
            foreach (string c in new[] { "p", "q" }) paths.Add($"{root}/a/{b}/{c}");
        }
        return paths;
    }

    private static async Task IgnoreAsync(Func<Task> op)
    {
        try
        {
            await op().WaitAsync(Wait);
        }
        catch (CoordException e) when (e is NoNodeException or NodeExistsException or NotEmptyException)
        {
            // Expected under churn: another writer got there first.
        }
    }

    /// <summary>A full read of the subtree from the server.</summary>
    private static async Task<Dictionary<string, CachedNode>> ReadTreeAsync(CoordClient client, string root)
    {
        await client.SyncAsync(root).WaitAsync(Wait);
        var tree = new Dictionary<string, CachedNode>(StringComparer.Ordinal);
        var stack = new Stack<string>([root]);
        while (stack.TryPop(out var path))
        {
            var (data, stat) = await client.GetDataAsync(path).WaitAsync(Wait);
            tree[path] = new CachedNode(path, data, stat);
            foreach (var child in await client.GetChildrenAsync(path).WaitAsync(Wait)) stack.Push($"{path}/{child}");
        }
        return tree;
    }

    private static async Task<CachedNode?> NextAsync(IAsyncEnumerator<CachedNode?> values)
    {
        Assert.True(await values.MoveNextAsync().AsTask().WaitAsync(Wait));
        return values.Current;
    }

    private static string? Text(CachedNode? node) => node is null ? null : Encoding.UTF8.GetString(node.Data);

    /// <summary>Records tree cache events (raised one at a time on the cache's loop) and checks as it goes that a
    /// node's story is consistent: added only when absent, updated only forwards, removed only when present, and a
    /// re-created node is newer than the one it replaces.</summary>
    private sealed class EventLog
    {
        private readonly Lock gate = new();
        private readonly Dictionary<string, CachedNode> present = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> lastCzxid = new(StringComparer.Ordinal);
        private readonly List<(TreeCacheEventType, string, TaskCompletionSource)> waiters = [];
        private readonly List<TreeCacheEvent> seen = [];

        public List<string> Violations { get; } = [];
        public int Initialized { get; private set; }
        public int Count
        {
            get
            {
                lock (gate) return seen.Count;
            }
        }

        public IReadOnlyCollection<string> Present
        {
            get
            {
                lock (gate) return present.Keys.ToList();
            }
        }

        public void Add(TreeCacheEvent e)
        {
            lock (gate)
            {
                seen.Add(e);
                Check(e);
                foreach (var (type, path, done) in waiters)
                {
                    if (type == e.Type && path == e.Path) done.TrySetResult();
                }
            }
        }

        public Task WaitForAsync(TreeCacheEventType type, string path)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (gate)
            {
                if (seen.Any(e => e.Type == type && e.Path == path)) done.TrySetResult();
                else waiters.Add((type, path, done));
            }
            return done.Task.WaitAsync(Wait);
        }

        private void Check(TreeCacheEvent e)
        {
            switch (e.Type)
            {
                case TreeCacheEventType.Initialized:
                    Initialized++;
                    break;
                case TreeCacheEventType.NodeAdded:
                    if (present.ContainsKey(e.Path)) Violations.Add($"added while present: {e}");
                    if (lastCzxid.TryGetValue(e.Path, out long czxid) && e.Node!.Stat.Czxid <= czxid)
                        Violations.Add($"re-created node is not newer: {e} czxid 0x{e.Node.Stat.Czxid:x} <= 0x{czxid:x}");
                    present[e.Path] = e.Node!;
                    lastCzxid[e.Path] = e.Node!.Stat.Czxid;
                    break;
                case TreeCacheEventType.NodeUpdated:
                    if (!present.TryGetValue(e.Path, out var before)) Violations.Add($"updated while absent: {e}");
                    else if (e.Node!.Stat.Czxid != before.Stat.Czxid || e.Node.Stat.Version <= before.Stat.Version
                             || e.Node.Stat.Mzxid <= before.Stat.Mzxid)
                        Violations.Add($"update went backwards: {e} from {before.Stat} to {e.Node.Stat}");
                    else present[e.Path] = e.Node;
                    break;
                case TreeCacheEventType.NodeRemoved:
                    if (!present.Remove(e.Path)) Violations.Add($"removed while absent: {e}");
                    break;
            }
        }
    }
}

using System.Diagnostics;
using Coord.Protocol;
using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;
using static Coord.Client.Interop.Specs.Specs;
using static Coord.Client.Interop.Specs.Recipes.RecipeSpecHelpers;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary>The <see cref="DistributedLock"/> recipe under contention, against Apache ZooKeeper and Coord.</summary>
public sealed class DistributedLockSpecs(ServersFixture servers, ITestOutputHelper output) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    private const int Contenders = 8;
    private const int AcquisitionsEach = 100;

    [Theory, MemberData(nameof(Kinds))]
    public async Task Eight_sessions_never_hold_the_lock_together_and_lose_no_increment(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(admin, "lock");
        var clients = await ConnectManyAsync(server.ConnectString, Contenders);
        try
        {
            int inside = 0, maxInside = 0, counter = 0;
            long lastToken = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select(client => Task.Run(async () =>
            {
                var mutex = new DistributedLock(client, $"{root}/mutex");
                for (int n = 0; n < AcquisitionsEach; n++)
                {
                    await using var held = await mutex.AcquireAsync(Wait);
                    int now = Interlocked.Increment(ref inside);
                    InterlockedMax(ref maxInside, now);
                    // Fencing tokens grow with each holder.
                    Assert.True(held.FencingToken > Volatile.Read(ref lastToken));
                    Volatile.Write(ref lastToken, held.FencingToken);
                    // A non-atomic read-yield-write: an overlapping holder would lose an increment.
                    int read = counter;
                    await Task.Yield();
                    counter = read + 1;
                    Interlocked.Decrement(ref inside);
                }
            })));
            output.WriteLine($"{kind}: {Contenders * AcquisitionsEach} acquisitions by {Contenders} sessions in {clock.ElapsedMilliseconds} ms");
            Assert.Equal(1, maxInside);
            Assert.Equal(Contenders * AcquisitionsEach, counter);
            Assert.Empty(await admin.GetChildrenAsync($"{root}/mutex"));
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Each_waiter_watches_only_its_predecessor(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(admin, "herd");
        string lockPath = $"{root}/mutex";
        var clients = await ConnectManyAsync(server.ConnectString, 5);
        try
        {
            await using var first = await new DistributedLock(clients[0], lockPath).AcquireAsync(Wait);
            var waiters = clients.Skip(1).Select(c => new DistributedLock(c, lockPath).AcquireAsync(Wait)).ToList();

            // wchp lists path -> watching sessions; it raises no event, so it is polled (bounded).
            var nodes = await Poll.UntilAsync(async () =>
            {
                var sorted = (await admin.GetChildrenAsync(lockPath)).OrderBy(c => c[^10..]).ToList();
                var watched = WatchedPaths(await server.FourLetterWordAsync("wchp"), root);
                return sorted.Count == clients.Length && watched.Count == clients.Length - 1 ? sorted : null;
            }, Wait, () => "the waiters did not all set their watch");

            var byPath = WatchedPaths(await server.FourLetterWordAsync("wchp"), root);
            for (int i = 0; i < nodes.Count - 1; i++)
            {
                var watchers = byPath[$"{lockPath}/{nodes[i]}"];
                var successor = await admin.ExistsAsync($"{lockPath}/{nodes[i + 1]}");
                Assert.Equal([successor!.Value.EphemeralOwner], watchers); // exactly one watcher: the successor
            }
            Assert.False(byPath.ContainsKey(lockPath)); // nobody watches the child list

            // Fair: released one by one, the waiters get the lock in the order of their nodes.
            var order = new List<string>();
            await first.DisposeAsync();
            await Task.WhenAll(waiters.Select(async waiter =>
            {
                await using var held = await waiter;
                lock (order) order.Add(RecipeNodes.Name(held.NodePath));
            }));
            Assert.Equal(nodes.Skip(1), order);
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_create_whose_reply_is_lost_is_found_again_by_its_guid_and_not_leaked(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options());
        await using var direct = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(direct, "protected");
        string lockPath = $"{root}/mutex";
        await direct.CreateAsync(lockPath, null);
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.Empty(await direct.GetChildrenAsync(lockPath, _ => created.TrySetResult()));

        proxy.SwallowReplies = true;
        var acquiring = new DistributedLock(client, lockPath).AcquireAsync(Wait);
        await created.Task.WaitAsync(Wait);  // the create was applied; its reply is being swallowed
        var lost = WaitForStateAsync(client, ConnectionState.Disconnected);
        proxy.DropAll();
        await lost;
        proxy.SwallowReplies = false;

        await using var held = await acquiring.WaitAsync(Wait);
        var children = await direct.GetChildrenAsync(lockPath);
        Assert.Equal([RecipeNodes.Name(held.NodePath)], children); // the one node, adopted, no orphan
        Assert.StartsWith("_c_", children[0]);
        Assert.Equal(client.SessionId, (await direct.ExistsAsync(held.NodePath))!.Value.EphemeralOwner);
        await held.DisposeAsync();
        Assert.Empty(await direct.GetChildrenAsync(lockPath));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task The_lock_is_released_when_the_holder_closes_or_its_session_expires(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var waiterClient = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(waiterClient, "release");
        string lockPath = $"{root}/mutex";

        // Closed: the ephemeral goes with the session at once.
        var closing = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await new DistributedLock(closing, lockPath).AcquireAsync(Wait);
        var waiter = new DistributedLock(waiterClient, lockPath);
        var next = waiter.AcquireAsync(Wait);
        Assert.False(next.IsCompleted);
        await closing.DisposeAsync();
        var handle = await next.WaitAsync(Wait);
        await handle.DisposeAsync();

        // Expired: the holder is cut off and the server ends its session.
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var expiring = await CoordClient.ConnectAsync(proxy.ConnectString, Options(sessionMs: 1500));
        var held = await new DistributedLock(expiring, lockPath).AcquireAsync(Wait);
        next = waiter.AcquireAsync(Wait);
        Assert.False(next.IsCompleted);
        proxy.Pause();
        proxy.DropAll();
        await using var afterExpiry = await next.WaitAsync(Wait);
        Assert.True(afterExpiry.FencingToken > held.FencingToken);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task The_same_holder_re_enters_and_a_timed_out_waiter_leaves_no_node(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var a = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var b = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(a, "reentrant");
        string lockPath = $"{root}/mutex";
        var mine = new DistributedLock(a, lockPath);
        var outer = await mine.AcquireAsync(Wait);
        var inner = await mine.AcquireAsync(Wait);
        Assert.Equal(outer.NodePath, inner.NodePath);
        Assert.Equal(outer.FencingToken, inner.FencingToken);
        await inner.DisposeAsync();
        Assert.True(mine.IsHeld);
        Assert.Single(await a.GetChildrenAsync(lockPath));

        var theirs = new DistributedLock(b, lockPath);
        Assert.Null(await theirs.TryAcquireAsync(TimeSpan.FromMilliseconds(200)));
        await Assert.ThrowsAsync<TimeoutException>(() => theirs.AcquireAsync(TimeSpan.FromMilliseconds(100)));
        Assert.Single(await a.GetChildrenAsync(lockPath));
        await outer.DisposeAsync();
        Assert.False(mine.IsHeld);
        await using var now = await theirs.AcquireAsync(Wait);
    }

    /// <summary>Parses wchp output (a path line, then one tab-indented 0x session line per watcher) under a root.</summary>
    internal static Dictionary<string, List<long>> WatchedPaths(string wchp, string root)
    {
        var result = new Dictionary<string, List<long>>();
        List<long>? current = null;
        foreach (var line in wchp.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith('\t'))
            {
                current = line.StartsWith(root, StringComparison.Ordinal) ? result[line.Trim()] = [] : null;
                continue;
            }
            current?.Add(Convert.ToInt64(line.Trim()[2..], 16));
        }
        return result;
    }
}

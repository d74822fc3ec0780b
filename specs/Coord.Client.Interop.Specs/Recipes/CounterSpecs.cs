using System.Buffers.Binary;
using System.Diagnostics;
using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;
using static Coord.Client.Interop.Specs.Specs;
using static Coord.Client.Interop.Specs.Recipes.RecipeSpecHelpers;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary><see cref="DistributedAtomicLong"/> and <see cref="SharedCounter"/>, against Apache ZooKeeper and Coord.</summary>
public sealed class CounterSpecs(ServersFixture servers, ITestOutputHelper output) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    private const int Sessions = 8;
    private const int IncrementsEach = 100;

    [Theory, MemberData(nameof(Kinds))]
    public async Task Eight_sessions_times_100_increments_make_exactly_800(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(admin, "along")}/counter";
        var clients = await ConnectManyAsync(server.ConnectString, Sessions);
        try
        {
            using var deadline = new CancellationTokenSource(Wait);
            var clock = Stopwatch.StartNew();
            var posts = new List<long>[Sessions];
            await Task.WhenAll(clients.Select((client, i) => Task.Run(async () =>
            {
                var counter = new DistributedAtomicLong(client, path);
                posts[i] = [];
                for (int n = 0; n < IncrementsEach; n++)
                {
                    var result = await counter.IncrementAsync(deadline.Token);
                    Assert.True(result.Succeeded);
                    Assert.Equal(result.PreValue + 1, result.PostValue);
                    posts[i].Add(result.PostValue);
                }
            }))).WaitAsync(Wait);
            output.WriteLine($"{kind}: {Sessions * IncrementsEach} increments by {Sessions} sessions in {clock.ElapsedMilliseconds} ms");
            Assert.Equal(Sessions * IncrementsEach, await new DistributedAtomicLong(admin, path).GetAsync(deadline.Token));
            // Each successful increment produced a distinct value: together exactly 1..800.
            Assert.Equal(Enumerable.Range(1, Sessions * IncrementsEach).Select(v => (long)v), posts.SelectMany(p => p).Order());
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Compare_and_set_add_and_decrement_report_pre_and_post_values_in_Curator_format(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var client = await CoordClient.ConnectAsync(server.ConnectString, Options());
        using var deadline = new CancellationTokenSource(Wait);
        string path = $"{await RootAsync(client, "cas")}/n";
        var counter = new DistributedAtomicLong(client, path);
        Assert.Equal(0, await counter.GetAsync(deadline.Token));
        Assert.Equal(new AtomicResult(true, 0, 10), await counter.AddAsync(10, deadline.Token));
        Assert.Equal(new AtomicResult(false, 10, 10), await counter.CompareAndSetAsync(3, 4, deadline.Token));
        Assert.Equal(new AtomicResult(true, 10, 42), await counter.CompareAndSetAsync(10, 42, deadline.Token));
        Assert.Equal(new AtomicResult(true, 42, 41), await counter.DecrementAsync(deadline.Token));
        Assert.Equal(new AtomicResult(true, 41, -5), await counter.ForceSetAsync(-5, deadline.Token));
        var raw = await client.GetDataAsync(path, ct: deadline.Token);
        Assert.Equal(-5, BinaryPrimitives.ReadInt64BigEndian(raw.Data)); // 8 big-endian bytes, as Curator
        Assert.Equal(8, raw.Data.Length);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task An_increment_whose_reply_is_lost_is_counted_once(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options());
        await using var direct = await CoordClient.ConnectAsync(server.ConnectString, Options());
        using var deadline = new CancellationTokenSource(Wait);
        string path = $"{await RootAsync(direct, "lostinc")}/n";
        var counter = new DistributedAtomicLong(client, path);
        Assert.Equal(new AtomicResult(true, 0, 1), await counter.IncrementAsync(deadline.Token)); // creates node and receipt

        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await direct.GetDataAsync(path, _ => written.TrySetResult(), deadline.Token);
        counter.Receipt.Committing = () => proxy.SwallowReplies = true; // lose exactly the write's reply
        var incrementing = counter.IncrementAsync(deadline.Token);
        await written.Task.WaitAsync(Wait); // applied; its reply is being swallowed
        var lost = WaitForStateAsync(client, ConnectionState.Disconnected);
        proxy.DropAll();
        await lost;
        proxy.SwallowReplies = false;
        counter.Receipt.Committing = null;

        Assert.Equal(new AtomicResult(true, 1, 2), await incrementing.WaitAsync(Wait));
        Assert.Equal(2, await counter.GetAsync(deadline.Token)); // not applied twice
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_shared_counter_listener_sees_changes_and_a_stale_version_loses(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var a = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var b = await CoordClient.ConnectAsync(server.ConnectString, Options());
        using var deadline = new CancellationTokenSource(Wait);
        string path = $"{await RootAsync(a, "shared")}/workers";
        await using var mine = new SharedCounter(a, path, seed: 4);
        await using var theirs = new SharedCounter(b, path, seed: 99);
        var seen = System.Threading.Channels.Channel.CreateUnbounded<VersionedCount>();
        theirs.CountChanged += (_, c) => seen.Writer.TryWrite(c);
        await mine.StartAsync(deadline.Token);
        await theirs.StartAsync(deadline.Token);
        Assert.Equal(new VersionedCount(4, 0), theirs.Current); // the first seed wins

        Assert.True(await mine.TrySetCountAsync(5, 0, deadline.Token));
        Assert.Equal(new VersionedCount(5, 1), await seen.Reader.ReadAsync(deadline.Token));
        Assert.False(await theirs.TrySetCountAsync(7, 0, deadline.Token)); // stale version: nothing changes
        Assert.Equal(5, (await theirs.ReadAsync(deadline.Token)).Value);
        await mine.SetCountAsync(9, deadline.Token);
        Assert.Equal(new VersionedCount(9, 2), await seen.Reader.ReadAsync(deadline.Token));
        Assert.Equal(9, theirs.Count);
        var raw = await a.GetDataAsync(path, ct: deadline.Token);
        Assert.Equal(9, BinaryPrimitives.ReadInt32BigEndian(raw.Data)); // 4 big-endian bytes, as Curator
        Assert.False(seen.Reader.TryRead(out var extra), $"unexpected change {extra}"); // the failed set raised nothing
    }
}

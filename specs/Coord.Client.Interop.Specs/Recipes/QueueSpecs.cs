using System.Diagnostics;
using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;
using static Coord.Client.Interop.Specs.Specs;
using static Coord.Client.Interop.Specs.Recipes.RecipeSpecHelpers;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary><see cref="DistributedQueue"/> and <see cref="DistributedPriorityQueue"/>, against Apache ZooKeeper and Coord.</summary>
public sealed class QueueSpecs(ServersFixture servers, ITestOutputHelper output) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    private const int Producers = 4;
    private const int Consumers = 4;
    private const int ItemsEach = 50;

    [Theory, MemberData(nameof(Kinds))]
    public async Task Four_producers_and_four_consumers_deliver_every_item_exactly_once_in_producer_order(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(admin, "queue")}/jobs";
        var clients = await ConnectManyAsync(server.ConnectString, Producers + Consumers);
        try
        {
            using var deadline = new CancellationTokenSource(Wait);
            var clock = Stopwatch.StartNew();
            var received = new List<string>[Consumers];
            // Consumers start first and block on the empty queue; each stops after its share, so the total is exact.
            var consumers = Enumerable.Range(0, Consumers).Select(c => Task.Run(async () =>
            {
                var queue = new DistributedQueue(clients[Producers + c], path);
                received[c] = [];
                for (int n = 0; n < Producers * ItemsEach / Consumers; n++)
                    received[c].Add(System.Text.Encoding.UTF8.GetString(await queue.DequeueAsync(deadline.Token)));
            })).ToList();
            var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
            {
                var queue = new DistributedQueue(clients[p], path);
                for (int n = 0; n < ItemsEach; n++) await queue.EnqueueAsync(Bytes($"{p}:{n}"), deadline.Token);
            }));
            await Task.WhenAll(producers.Concat(consumers)).WaitAsync(Wait);
            output.WriteLine($"{kind}: {Producers * ItemsEach} items through {Consumers} consumers in {clock.ElapsedMilliseconds} ms");

            var all = received.SelectMany(r => r).ToList();
            Assert.Equal(Producers * ItemsEach, all.Count);
            Assert.Equal(all.Count, all.Distinct().Count()); // no duplicate
            var expected = Enumerable.Range(0, Producers).SelectMany(p => Enumerable.Range(0, ItemsEach).Select(n => $"{p}:{n}"));
            Assert.Equal(expected.Order(), all.Order()); // none lost
            // FIFO per producer: each consumer sees one producer's items in increasing order.
            foreach (var mine in received)
            {
                foreach (var byProducer in mine.Select(Parse).GroupBy(i => i.Producer))
                {
                    var seq = byProducer.Select(i => i.N).ToList();
                    Assert.Equal(seq.Order(), seq);
                }
            }
            Assert.Null(await new DistributedQueue(admin, path).TryDequeueAsync(deadline.Token));
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_single_consumer_sees_FIFO_and_peek_try_and_batch_behave(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var client = await CoordClient.ConnectAsync(server.ConnectString, Options());
        using var deadline = new CancellationTokenSource(Wait);
        var queue = new DistributedQueue(client, $"{await RootAsync(client, "fifo")}/q");
        Assert.Null(await queue.PeekAsync(deadline.Token));
        Assert.Null(await queue.TryDequeueAsync(deadline.Token));

        await queue.EnqueueAsync(Bytes("a"), deadline.Token);
        var batch = await queue.EnqueueAllAsync([Bytes("b"), Bytes("c"), Bytes("d")], deadline.Token);
        Assert.Equal(3, batch.Count);
        Assert.Equal(4, await queue.CountAsync(deadline.Token));
        Assert.Equal("a", Text(await queue.PeekAsync(deadline.Token)));
        Assert.Equal(4, await queue.CountAsync(deadline.Token)); // peek takes nothing
        var taken = new List<string>();
        while (await queue.TryDequeueAsync(deadline.Token) is { } item) taken.Add(Text(item));
        Assert.Equal(["a", "b", "c", "d"], taken);

        // A blocked consumer wakes up for the next enqueue.
        var waiting = queue.DequeueAsync(deadline.Token);
        Assert.False(waiting.IsCompleted);
        await queue.EnqueueAsync(Bytes("late"), deadline.Token);
        Assert.Equal("late", Text(await waiting.WaitAsync(Wait)));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_take_whose_reply_is_lost_delivers_the_item_once(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var consumer = await CoordClient.ConnectAsync(proxy.ConnectString, Options());
        await using var direct = await CoordClient.ConnectAsync(server.ConnectString, Options());
        using var deadline = new CancellationTokenSource(Wait);
        string path = $"{await RootAsync(direct, "lostake")}/q";
        var producer = new DistributedQueue(direct, path);
        await producer.EnqueueAllAsync([Bytes("first"), Bytes("second")], deadline.Token);
        var queue = new DistributedQueue(consumer, path);
        Assert.Equal(2, await queue.CountAsync(deadline.Token)); // also lets the receipt's parent exist

        var children = await direct.GetChildrenAsync(path, ct: deadline.Token);
        string firstNode = RecipeNodes.Sorted(children, "qn-")[0];
        var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.NotNull(await direct.ExistsAsync($"{path}/{firstNode}", _ => deleted.TrySetResult(), deadline.Token));

        queue.Core.Receipt.Committing = () => proxy.SwallowReplies = true; // lose exactly the take's reply
        var taking = queue.TryDequeueAsync(deadline.Token);
        await deleted.Task.WaitAsync(Wait); // the take was applied; its reply is being swallowed
        var lost = WaitForStateAsync(consumer, ConnectionState.Disconnected);
        proxy.DropAll();
        await lost;
        proxy.SwallowReplies = false;
        queue.Core.Receipt.Committing = null;

        Assert.Equal("first", Text(await taking.WaitAsync(Wait)));                 // not lost
        Assert.Equal("second", Text(await queue.TryDequeueAsync(deadline.Token))); // and not taken twice
        Assert.Null(await queue.TryDequeueAsync(deadline.Token));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_priority_queue_yields_lower_priorities_first_and_FIFO_within_one(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var producer = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var consumer = await CoordClient.ConnectAsync(server.ConnectString, Options());
        using var deadline = new CancellationTokenSource(Wait);
        string path = $"{await RootAsync(producer, "prio")}/q";
        var queue = new DistributedPriorityQueue(producer, path);
        (string Item, int Priority)[] items =
            [("p5-a", 5), ("p1-a", 1), ("neg", -3), ("p5-b", 5), ("max", int.MaxValue), ("p1-b", 1), ("min", int.MinValue), ("p0", 0)];
        foreach (var (item, priority) in items.Take(4)) await queue.EnqueueAsync(Bytes(item), priority, deadline.Token);
        await queue.EnqueueAllAsync(items.Skip(4).Select(i => ((byte[]?)Bytes(i.Item), i.Priority)), deadline.Token);

        var reader = new DistributedPriorityQueue(consumer, path);
        Assert.Equal("min", Text(await reader.PeekAsync(deadline.Token)));
        var order = new List<string>();
        for (int i = 0; i < items.Length; i++) order.Add(Text(await reader.DequeueAsync(deadline.Token)));
        Assert.Equal(["min", "neg", "p0", "p1-a", "p1-b", "p5-a", "p5-b", "max"], order);
        Assert.Equal(0, await reader.CountAsync(deadline.Token));
    }

    private static (int Producer, int N) Parse(string item)
    {
        var parts = item.Split(':');
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    private static string Text(byte[]? bytes) => bytes is null ? "<null>" : System.Text.Encoding.UTF8.GetString(bytes);
}

using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using static Coord.Client.Interop.Specs.Recipes.RecipeSpecHelpers;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary>The <see cref="DistributedBarrier"/> recipe, against Apache ZooKeeper and Coord.</summary>
public sealed class BarrierSpecs(ServersFixture servers) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    private const int Sessions = 8;

    [Theory, MemberData(nameof(Kinds))]
    public async Task Eight_waiters_are_released_only_after_the_barrier_is_removed(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(admin, "barrier");
        string path = $"{root}/deep/gate";
        var gate = new DistributedBarrier(admin, path);
        await gate.SetBarrierAsync();
        await gate.SetBarrierAsync(); // setting a standing barrier is a no-op
        var clients = await ConnectManyAsync(server.ConnectString, Sessions);
        try
        {
            int removing = 0;
            var waiters = clients.Select(async c =>
            {
                Assert.True(await new DistributedBarrier(c, path).WaitOnBarrierAsync(Wait));
                return Volatile.Read(ref removing); // 1 only if released after the removal began
            }).ToList();

            // Every waiter has its watch on the barrier node (wchp raises no event, so it is polled, bounded).
            await Poll.UntilAsync(async () =>
                DistributedLockSpecs.WatchedPaths(await server.FourLetterWordAsync("wchp"), root)
                    .TryGetValue(path, out var watchers) && watchers.Count == Sessions ? watchers : null,
                Wait, () => "the waiters did not all watch the barrier");
            await RoundTripAsync(clients);
            Assert.All(waiters, w => Assert.False(w.IsCompleted));

            Volatile.Write(ref removing, 1);
            await gate.RemoveBarrierAsync();
            Assert.Equal(Enumerable.Repeat(1, Sessions), await Task.WhenAll(waiters).WaitAsync(Wait));
            Assert.Null(await admin.ExistsAsync(path));
            await gate.RemoveBarrierAsync(); // removing a removed barrier is a no-op
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_wait_times_out_while_the_barrier_stands_and_passes_when_it_is_not_set(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var worker = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(admin, "barriertimeout")}/gate";
        var waiting = new DistributedBarrier(worker, path);
        Assert.True(await waiting.WaitOnBarrierAsync(Wait).WaitAsync(Wait)); // not set: passes at once

        await new DistributedBarrier(admin, path).SetBarrierAsync();
        Assert.False(await waiting.WaitOnBarrierAsync(TimeSpan.FromMilliseconds(200)));
        // A change of the barrier's data is not a removal.
        var wait = waiting.WaitOnBarrierAsync(Wait);
        await admin.SetDataAsync(path, Bytes("still here"));
        await RoundTripAsync([worker]);
        Assert.False(wait.IsCompleted);
        await new DistributedBarrier(admin, path).RemoveBarrierAsync();
        Assert.True(await wait.WaitAsync(Wait));
    }
}

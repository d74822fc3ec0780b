using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using static Coord.Client.Interop.Specs.Recipes.RecipeSpecHelpers;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary>The <see cref="DistributedDoubleBarrier"/> recipe, against Apache ZooKeeper and Coord.</summary>
public sealed class DoubleBarrierSpecs(ServersFixture servers) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    private const int Members = 8;

    [Theory, MemberData(nameof(Kinds))]
    public async Task Nobody_passes_enter_before_all_arrived_nor_leave_before_all_left(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(admin, "double");
        string path = $"{root}/round";
        var clients = await ConnectManyAsync(server.ConnectString, Members);
        try
        {
            var barriers = clients.Select(c => new DistributedDoubleBarrier(c, path, Members)).ToArray();
            int arrived = 0, left = 0;
            Task<int> Enter(DistributedDoubleBarrier b) => Task.Run(async () =>
            {
                Interlocked.Increment(ref arrived);
                await b.EnterAsync(Wait);
                return Volatile.Read(ref arrived);
            });
            Task<int> Leave(DistributedDoubleBarrier b) => Task.Run(async () =>
            {
                Interlocked.Increment(ref left);
                await b.LeaveAsync(Wait);
                return Volatile.Read(ref left);
            });

            // Seven enter: all wait for the eighth. A member watches ready once it has counted too few members
            // (wchp raises no event, so it is polled, bounded).
            string readyPath = $"{path}/{DistributedDoubleBarrier.ReadyName}";
            var entering = barriers.Take(Members - 1).Select(Enter).ToList();
            await Poll.UntilAsync(async () =>
                DistributedLockSpecs.WatchedPaths(await server.FourLetterWordAsync("wchp"), root)
                    .TryGetValue(readyPath, out var watchers) && watchers.Count == Members - 1 ? watchers : null,
                Wait, () => "the seven members did not all wait for ready");
            await RoundTripAsync(clients);
            Assert.All(entering, e => Assert.False(e.IsCompleted, "a member passed enter before all arrived"));
            Assert.Null(await admin.ExistsAsync(readyPath));
            entering.Add(Enter(barriers[^1]));
            Assert.Equal(Enumerable.Repeat(Members, Members), await Task.WhenAll(entering).WaitAsync(Wait));
            // ready came after every member node.
            var ready = await admin.ExistsAsync(readyPath);
            foreach (var b in barriers) Assert.True((await admin.ExistsAsync(b.NodePath!))!.Value.Czxid < ready!.Value.Czxid);
            Assert.All(barriers, b => Assert.NotNull(b.NodePath));

            // Seven leave: all wait for the eighth. At most two member nodes stay: the eighth's and the lowest's.
            var leaving = barriers.Take(Members - 1).Select(Leave).ToList();
            await ChildrenAsync(admin, path, c => c.Count(n => n != DistributedDoubleBarrier.ReadyName) <= 2);
            await RoundTripAsync(clients);
            Assert.All(leaving, l => Assert.False(l.IsCompleted, "a member passed leave before all left"));
            leaving.Add(Leave(barriers[^1]));
            Assert.Equal(Enumerable.Repeat(Members, Members), await Task.WhenAll(leaving).WaitAsync(Wait));
            Assert.Empty(await admin.GetChildrenAsync(path)); // members gone, ready reset by the last one
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task An_enter_that_times_out_leaves_no_node_and_the_barrier_serves_a_second_round(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var a = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var b = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(a, "doubletimeout")}/round";
        var first = new DistributedDoubleBarrier(a, path, 2);
        var second = new DistributedDoubleBarrier(b, path, 2);

        Assert.False(await first.TryEnterAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Null(first.NodePath);
        await ChildrenAsync(a, path, c => c.Count == 0); // a create cancelled in flight is deleted in the background
        await Assert.ThrowsAsync<InvalidOperationException>(() => first.LeaveAsync(Wait));

        for (int round = 0; round < 2; round++)
        {
            var entering = first.EnterAsync(Wait);
            await ChildrenAsync(b, path, c => c.Count == 1);
            await RoundTripAsync([a]);
            Assert.False(entering.IsCompleted, $"round {round}: entered alone");
            await second.EnterAsync(Wait);
            await entering.WaitAsync(Wait);

            var leaving = first.LeaveAsync(Wait);
            await second.LeaveAsync(Wait);
            await leaving.WaitAsync(Wait);
            Assert.Empty(await a.GetChildrenAsync(path));
        }
    }
}

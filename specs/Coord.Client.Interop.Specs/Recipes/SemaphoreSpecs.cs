using System.Diagnostics;
using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;
using static Coord.Client.Interop.Specs.Recipes.RecipeSpecHelpers;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary>The <see cref="DistributedSemaphore"/> recipe under contention, against Apache ZooKeeper and Coord.</summary>
public sealed class SemaphoreSpecs(ServersFixture servers, ITestOutputHelper output) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    private const int Sessions = 8;
    private const int MaxLeases = 3;
    private const int RoundsEach = 15;

    [Theory, MemberData(nameof(Kinds))]
    public async Task Eight_sessions_never_hold_more_than_three_leases_and_all_get_theirs(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(admin, "semaphore")}/sem";
        var clients = await ConnectManyAsync(server.ConnectString, Sessions);
        try
        {
            int inside = 0, maxInside = 0, leasesTaken = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select((client, i) => Task.Run(async () =>
            {
                var semaphore = new DistributedSemaphore(client, path, MaxLeases);
                for (int n = 0; n < RoundsEach; n++)
                {
                    // Every fourth round takes two leases at once.
                    int count = (n + i) % 4 == 0 ? 2 : 1;
                    var leases = await semaphore.AcquireAsync(count, Wait);
                    Assert.Equal(count, leases.Count);
                    InterlockedMax(ref maxInside, Interlocked.Add(ref inside, count));
                    for (int trip = 0; trip < 3; trip++) await client.ExistsAsync(path); // hold a while, so holders overlap
                    Interlocked.Add(ref leasesTaken, count);
                    Interlocked.Add(ref inside, -count);
                    foreach (var lease in leases) await lease.DisposeAsync();
                }
            }))).WaitAsync(Wait);
            output.WriteLine($"{kind}: {leasesTaken} leases by {Sessions} sessions in {clock.ElapsedMilliseconds} ms, at most {maxInside} held together");
            Assert.InRange(maxInside, 2, MaxLeases); // shared (more than one), never more than the limit
            int expected = Enumerable.Range(0, Sessions).Sum(i => Enumerable.Range(0, RoundsEach).Sum(n => (n + i) % 4 == 0 ? 2 : 1));
            Assert.Equal(expected, leasesTaken);
            Assert.Empty(await new DistributedSemaphore(admin, path, MaxLeases).GetParticipantNodesAsync());
            Assert.Empty(await admin.GetChildrenAsync($"{path}/locks"));
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_closed_sessions_leases_return_and_only_one_waiter_watches_the_leases(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(admin, "semreturn");
        string path = $"{root}/sem";
        var holder = await CoordClient.ConnectAsync(server.ConnectString, Options());
        var clients = await ConnectManyAsync(server.ConnectString, 4);
        try
        {
            var held = await new DistributedSemaphore(holder, path, MaxLeases).AcquireAsync(MaxLeases, Wait);
            var semaphores = clients.Select(c => new DistributedSemaphore(c, path, MaxLeases)).ToList();
            Assert.Equal(held.Select(l => RecipeNodes.Name(l.NodePath)), await semaphores[0].GetParticipantNodesAsync());
            var waiters = semaphores.Select(s => s.AcquireAsync(Wait)).ToList();

            // One waiter holds the turn and watches the leases folder (a child watch); the other three queue on the turn
            // lock, each watching its predecessor (a data watch). wchp raises no event, so it is polled (bounded); like
            // ZooKeeper's, it lists data watches only, so the child watch on the leases folder does not show in it.
            string wchp = "";
            var watched = await Poll.UntilAsync(async () =>
            {
                var byPath = DistributedLockSpecs.WatchedPaths(wchp = await server.FourLetterWordAsync("wchp"), root);
                int lockWatchers = byPath.Where(p => p.Key.StartsWith($"{path}/locks/", StringComparison.Ordinal)).Sum(p => p.Value.Count);
                return lockWatchers == waiters.Count - 1 ? byPath : null;
            }, Wait, () => $"the waiters did not all set their watch; wchp:\n{wchp}");
            Assert.DoesNotContain(watched.Keys, p => p.StartsWith($"{path}/leases/", StringComparison.Ordinal));
            await ChildrenAsync(admin, $"{path}/leases", c => c.Count == MaxLeases + 1); // 3 held, 1 waiting
            await RoundTripAsync(clients);
            Assert.All(waiters, w => Assert.False(w.IsCompleted));

            await holder.DisposeAsync(); // its three ephemeral leases go with the session
            // Three of the four waiters get the returned leases, one after the other; the fourth keeps waiting.
            var granted = new List<Task<SemaphoreLease>>();
            while (granted.Count < MaxLeases) granted.Add(await Task.WhenAny(waiters.Except(granted)).WaitAsync(Wait));
            var last = waiters.Except(granted).Single();
            await ChildrenAsync(admin, $"{path}/leases", c => c.Count == MaxLeases + 1); // the fourth took its turn
            await RoundTripAsync(clients);
            Assert.False(last.IsCompleted, "a fourth lease was granted with three held");
            await (await granted[0]).DisposeAsync();
            await using var fourth = await last.WaitAsync(Wait);
            foreach (var lease in granted.Skip(1)) await (await lease).DisposeAsync();
            Assert.Single(await semaphores[0].GetParticipantNodesAsync());
        }
        finally
        {
            await holder.DisposeAsync();
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_multi_lease_acquire_that_times_out_returns_what_it_took(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var a = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var b = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(a, "semtimeout")}/sem";
        var mine = new DistributedSemaphore(a, path, MaxLeases);
        var theirs = new DistributedSemaphore(b, path, MaxLeases);
        var two = await mine.AcquireAsync(2, Wait);

        Assert.Null(await theirs.TryAcquireAsync(2, TimeSpan.FromMilliseconds(300))); // one was free, two were not
        await Assert.ThrowsAsync<TimeoutException>(() => theirs.AcquireAsync(2, TimeSpan.FromMilliseconds(100)));
        // A timeout may cancel a create in flight; the node it makes is then deleted in the background.
        await ChildrenAsync(a, $"{path}/leases", c => c.Count == 2);
        await ChildrenAsync(a, $"{path}/locks", c => c.Count == 0);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => theirs.AcquireAsync(MaxLeases + 1, Wait));

        await using (var one = await theirs.AcquireAsync(Wait))
            Assert.Null(await theirs.TryAcquireAsync(TimeSpan.FromMilliseconds(100)));
        await two[0].DisposeAsync();
        await two[0].DisposeAsync(); // twice is a no-op
        var both = await theirs.AcquireAsync(2, Wait);
        Assert.Equal(3, (await mine.GetParticipantNodesAsync()).Count);
        foreach (var lease in both.Append(two[1])) await lease.DisposeAsync();
        Assert.Empty(await mine.GetParticipantNodesAsync());
    }
}

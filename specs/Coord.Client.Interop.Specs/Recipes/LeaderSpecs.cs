using System.Diagnostics;
using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;
using static Coord.Client.Interop.Specs.Specs;
using static Coord.Client.Interop.Specs.Recipes.RecipeSpecHelpers;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary>The <see cref="LeaderLatch"/> and <see cref="LeaderSelector"/> recipes against Apache ZooKeeper and Coord:
/// one leader at a time, fail-over on close, session close and expiry, growing fencing tokens, rotation.</summary>
public sealed class LeaderSpecs(ServersFixture servers, ITestOutputHelper output) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    [Theory, MemberData(nameof(Kinds))]
    public async Task One_of_five_leads_and_the_next_takes_over_on_close_on_session_close_and_on_expiry(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(admin, "latch")}/leader";
        await using var proxy = new TcpProxy(server.Host, server.Port);
        // Participant 2 connects through a proxy so it can be cut off until its session expires.
        var clients = new[]
        {
            await CoordClient.ConnectAsync(server.ConnectString, Options()),
            await CoordClient.ConnectAsync(server.ConnectString, Options()),
            await CoordClient.ConnectAsync(proxy.ConnectString, Options(sessionMs: 1500)),
            await CoordClient.ConnectAsync(server.ConnectString, Options()),
            await CoordClient.ConnectAsync(server.ConnectString, Options()),
        };
        var latches = clients.Select((c, i) => new LeaderLatch(c, path, $"p{i}")).ToArray();
        try
        {
            foreach (var latch in latches) await latch.StartAsync().WaitAsync(Wait);
            await latches[0].AwaitLeadershipAsync().WaitAsync(Wait);
            Assert.Equal([true, false, false, false, false], latches.Select(l => l.HasLeadership));
            long token = latches[0].FencingToken;
            Assert.Equal((await admin.ExistsAsync(latches[0].NodePath!))!.Value.Czxid, token);
            Assert.Equal("p0", (await LeaderLatch.GetParticipantsAsync(admin, path))[0].Id);

            // 1. The leader closes its latch.
            var clock = Stopwatch.StartNew();
            var next = latches[1].AwaitLeadershipAsync().WaitAsync(Wait);
            await latches[0].DisposeAsync();
            await next;
            output.WriteLine($"{kind}: fail-over after latch close {clock.Elapsed.TotalMilliseconds:0.0} ms");
            Assert.Equal([false, true, false, false, false], latches.Select(l => l.HasLeadership));
            Assert.True(latches[1].FencingToken > token);
            token = latches[1].FencingToken;

            // 2. The leader's client closes its session (its ephemeral goes at once).
            clock.Restart();
            next = latches[2].AwaitLeadershipAsync().WaitAsync(Wait);
            await clients[1].DisposeAsync();
            await next;
            output.WriteLine($"{kind}: fail-over after session close {clock.Elapsed.TotalMilliseconds:0.0} ms");
            Assert.Equal([false, false, true, false, false], latches.Select(l => l.HasLeadership));
            Assert.True(latches[2].FencingToken > token);
            token = latches[2].FencingToken;

            // 3. The leader is cut off: it steps down at once (it cannot know whether its session lives), and the next
            // leads only once the server expired that session, so the two never lead together.
            var stepsDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            latches[2].LeadershipChanged += (_, leads) =>
            {
                if (!leads) stepsDown.TrySetResult();
            };
            // Whether the old leader still led when the new one took over (the event may run after the await below
            // resumes, so it is awaited rather than read).
            var oldLeaderStillLeading = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            latches[3].LeadershipChanged += (_, leads) =>
            {
                if (leads) oldLeaderStillLeading.TrySetResult(latches[2].HasLeadership);
            };
            clock.Restart();
            next = latches[3].AwaitLeadershipAsync().WaitAsync(Wait);
            proxy.Pause();
            proxy.DropAll();
            await stepsDown.Task.WaitAsync(Wait);
            output.WriteLine($"{kind}: the cut-off leader stepped down after {clock.Elapsed.TotalMilliseconds:0.0} ms");
            await next;
            output.WriteLine($"{kind}: fail-over after the leader was cut off (1.5 s session) {clock.Elapsed.TotalMilliseconds:0.0} ms");
            Assert.False(await oldLeaderStillLeading.Task.WaitAsync(Wait));
            Assert.Equal([false, false, false, true, false], latches.Select(l => l.HasLeadership));
            Assert.True(latches[3].FencingToken > token);
            var participants = await LeaderLatch.GetParticipantsAsync(admin, path);
            Assert.Equal(["p3", "p4"], participants.Select(p => p.Id));
            Assert.Equal(latches[3].FencingToken, participants[0].FencingToken);
        }
        finally
        {
            foreach (var latch in latches) await latch.DisposeAsync().AsTask().WaitAsync(Wait);
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_latch_that_opens_its_own_sessions_takes_part_again_after_an_expiry(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var other = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(other, "rejoin")}/leader";
        await using var proxy = new TcpProxy(server.Host, server.Port);
        int sessions = 0;
        await using var latch = new LeaderLatch(ct =>
        {
            Interlocked.Increment(ref sessions);
            return CoordClient.ConnectAsync(proxy.ConnectString, Options(sessionMs: 1500), ct);
        }, path, "a");
        await using var second = new LeaderLatch(other, path, "b");
        await latch.StartAsync().WaitAsync(Wait);
        await second.StartAsync().WaitAsync(Wait);
        Assert.True(latch.HasLeadership);
        long firstSession = latch.Client!.SessionId;
        string firstNode = latch.NodePath!;

        proxy.Pause();
        proxy.DropAll();
        await second.AwaitLeadershipAsync().WaitAsync(Wait); // after the expiry of the cut-off session
        Assert.False(latch.HasLeadership);
        proxy.Resume();   // the old client hears "expired"; the latch opens a new session and a new node

        var rejoined = await Poll.UntilAsync(async () =>
        {
            var participants = await LeaderLatch.GetParticipantsAsync(other, path);
            return participants.Count == 2 ? participants : null;
        }, Wait, () => "the latch did not take part again after its session expired");
        Assert.Equal(["b", "a"], rejoined.Select(p => p.Id));
        Assert.NotEqual(firstNode, rejoined[1].NodePath);
        Assert.Equal(2, sessions);
        Assert.NotEqual(firstSession, latch.Client!.SessionId);
        Assert.Equal(latch.Client.SessionId, (await other.ExistsAsync(rejoined[1].NodePath))!.Value.EphemeralOwner);

        long token = second.FencingToken;
        await second.DisposeAsync();
        await latch.AwaitLeadershipAsync().WaitAsync(Wait);
        Assert.True(latch.FencingToken > token);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Followers_time_out_waiting_each_watches_only_its_predecessor_and_close_leaves_no_node(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(admin, "latchwatch");
        string path = $"{root}/leader";
        var clients = await ConnectManyAsync(server.ConnectString, 4);
        var latches = clients.Select((c, i) => new LeaderLatch(c, path, $"p{i}")).ToArray();
        try
        {
            foreach (var latch in latches) await latch.StartAsync().WaitAsync(Wait);
            Assert.True(latches[0].HasLeadership);
            Assert.False(await latches[1].AwaitLeadershipAsync(TimeSpan.FromMilliseconds(200)));
            var participants = await latches[3].GetParticipantsAsync().WaitAsync(Wait);
            Assert.Equal(["p0", "p1", "p2", "p3"], participants.Select(p => p.Id));
            Assert.Equal([true, false, false, false], participants.Select(p => p.IsLeader));
            Assert.Equal("p0", (await latches[2].GetLeaderAsync().WaitAsync(Wait))!.Id);

            // wchp lists path -> watching sessions; it raises no event, so it is polled (bounded). The leader watches its
            // own node; every follower watches its predecessor; nobody watches the child list.
            var byPath = await Poll.UntilAsync(async () =>
            {
                var watched = DistributedLockSpecs.WatchedPaths(await server.FourLetterWordAsync("wchp"), root);
                return watched.Values.Sum(w => w.Count) == latches.Length ? watched : null;
            }, Wait, () => "the participants did not all set their watch");
            for (int i = 0; i < latches.Length; i++)
            {
                var watchers = byPath.GetValueOrDefault(participants[i].NodePath, []).Order().ToList();
                var expected = new List<long>();
                if (i == 0) expected.Add(clients[0].SessionId);
                if (i + 1 < latches.Length) expected.Add(clients[i + 1].SessionId);
                Assert.Equal(expected.Order(), watchers);
            }
            Assert.False(byPath.ContainsKey(path));

            // A follower that closes only re-links the line; the leader keeps leading.
            var changes = new List<bool>();
            latches[0].LeadershipChanged += (_, leads) =>
            {
                lock (changes) changes.Add(leads);
            };
            await latches[1].DisposeAsync();
            Assert.Equal(["p0", "p2", "p3"], (await LeaderLatch.GetParticipantsAsync(admin, path)).Select(p => p.Id));
            foreach (var latch in latches) await latch.DisposeAsync();
            Assert.Empty(await admin.GetChildrenAsync(path));
            lock (changes) Assert.Equal([false], changes);
            await Assert.ThrowsAsync<ObjectDisposedException>(() => latches[2].AwaitLeadershipAsync().WaitAsync(Wait));
        }
        finally
        {
            foreach (var latch in latches) await latch.DisposeAsync();
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_leader_whose_node_is_deleted_steps_down_and_joins_again_at_the_end(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var a = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var b = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(a, "latchdel")}/leader";
        await using var first = new LeaderLatch(a, path, "a");
        await using var second = new LeaderLatch(b, path, "b");
        await first.StartAsync().WaitAsync(Wait);
        await second.StartAsync().WaitAsync(Wait);
        string deleted = first.NodePath!;
        var stepsDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        first.LeadershipChanged += (_, leads) =>
        {
            if (!leads) stepsDown.TrySetResult();
        };

        await b.DeleteAsync(deleted); // an operator removes the leader's node
        await stepsDown.Task.WaitAsync(Wait);
        await second.AwaitLeadershipAsync().WaitAsync(Wait);
        var participants = await Poll.UntilAsync(async () =>
        {
            var now = await LeaderLatch.GetParticipantsAsync(b, path);
            return now.Count == 2 ? now : null;
        }, Wait, () => "the deposed leader did not join again");
        Assert.Equal(["b", "a"], participants.Select(p => p.Id));
        Assert.NotEqual(deleted, participants[1].NodePath);
        Assert.False(first.HasLeadership);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Selectors_with_auto_requeue_take_turns_one_at_a_time_with_growing_tokens(string kind)
    {
        const int Participants = 3, Turns = 12;
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(admin, "selector")}/leader";
        var clients = await ConnectManyAsync(server.ConnectString, Participants);
        var order = new List<string>();
        var tokens = new List<long>();
        int inside = 0, overlaps = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allJoined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task Lead(LeadershipContext turn, CancellationToken ct)
        {
            if (Interlocked.Increment(ref inside) != 1) Interlocked.Increment(ref overlaps);
            // The first leader holds on until every participant is in line, so the order is known from turn 1.
            await allJoined.Task.WaitAsync(Wait, ct);
            lock (order)
            {
                if (order.Count < Turns)
                {
                    order.Add(turn.ParticipantId);
                    tokens.Add(turn.FencingToken);
                }
                if (order.Count == Turns) done.TrySetResult();
            }
            Interlocked.Decrement(ref inside);
        }
        var selectors = clients.Select((c, i) => new LeaderSelector(c, path, Lead, $"p{i}") { AutoRequeue = true }).ToArray();
        try
        {
            foreach (var selector in selectors) await selector.StartAsync().WaitAsync(Wait);
            allJoined.SetResult();
            await done.Task.WaitAsync(Wait);
        }
        finally
        {
            foreach (var selector in selectors) await selector.DisposeAsync().AsTask().WaitAsync(Wait);
            await DisposeAllAsync(clients);
        }
        output.WriteLine($"{kind}: turns {string.Join(' ', order)}");
        Assert.Equal(0, overlaps);
        Assert.True(tokens.Zip(tokens.Skip(1)).All(p => p.Second > p.First), string.Join(", ", tokens));
        // Each participant requeues at the end of the line, behind the other two: a strict rotation in joining order.
        Assert.Equal(Enumerable.Range(0, Turns).Select(i => $"p{i % Participants}"), order);
        Assert.Empty(await admin.GetChildrenAsync(path));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_cut_off_selector_is_cancelled_before_the_next_leads_and_without_requeue_leads_once(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(admin, "selcut")}/leader";
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var cutClient = await CoordClient.ConnectAsync(proxy.ConnectString, Options(sessionMs: 1500));
        await using var nextClient = await CoordClient.ConnectAsync(server.ConnectString, Options());

        var leading = new TaskCompletionSource<LeadershipContext>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var cut = new LeaderSelector(cutClient, path, async (turn, ct) =>
        {
            leading.TrySetResult(turn);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                cancelled.TrySetResult();
            }
        }, "cut");
        var turns = new List<(LeadershipContext Turn, bool CutCancelled)>();
        var led = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var next = new LeaderSelector(nextClient, path, (turn, _) =>
        {
            lock (turns) turns.Add((turn, cancelled.Task.IsCompleted));
            led.TrySetResult();
            return Task.CompletedTask;
        }, "next");

        await cut.StartAsync().WaitAsync(Wait);
        var first = await leading.Task.WaitAsync(Wait);
        await next.StartAsync().WaitAsync(Wait);
        Assert.True(cut.HasLeadership);
        var clock = Stopwatch.StartNew();
        proxy.Pause();
        proxy.DropAll();
        await cancelled.Task.WaitAsync(Wait);
        output.WriteLine($"{kind}: the cut-off leader's token was cancelled after {clock.Elapsed.TotalMilliseconds:0.0} ms");
        await led.Task.WaitAsync(Wait);
        output.WriteLine($"{kind}: the next selector led after {clock.Elapsed.TotalMilliseconds:0.0} ms (1.5 s session)");
        lock (turns)
        {
            Assert.True(turns[0].CutCancelled);
            Assert.True(turns[0].Turn.FencingToken > first.FencingToken);
            Assert.Equal(1, turns[0].Turn.Turn);
        }

        // Without AutoRequeue the selector left the line when its callback returned; Requeue puts it back.
        var participants = await Poll.UntilAsync(async () =>
        {
            var now = await LeaderLatch.GetParticipantsAsync(admin, path);
            return now.Count == 0 ? now : null;
        }, Wait, () => "the selector did not give up its node after its turn");
        Assert.Empty(participants);
        led = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(next.Requeue());
        await led.Task.WaitAsync(Wait);
        lock (turns)
        {
            Assert.Equal(2, turns.Count);
            Assert.Equal(2, turns[1].Turn.Turn);
            Assert.True(turns[1].Turn.FencingToken > turns[0].Turn.FencingToken);
        }
    }
}

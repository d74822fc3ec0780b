using System.Diagnostics;
using System.Text;
using Coord.Actors.Replication;
using Coord.Actors.Specs.Sequencer;
using Coord.Protocol;
using Coord.Protocol.Records;
using Xunit.Abstractions;

namespace Coord.Actors.Specs.Ensemble;

/// <summary>
/// Three members in one process over Akka.Remote on loopback (<see cref="EnsembleHarness"/>), each spec asserting what
/// a client notices: who answers, what a read sees, that a write sent to a leader cut off from its quorum is never
/// acknowledged and is gone after the heal, that a restarted or long-absent member catches up and serves the same
/// data, and that a session moves to another member keeping its ephemeral node.
/// </summary>
public sealed class EnsembleSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Limits = TimeSpan.FromMilliseconds(EnsembleHarness.Timing.SyncLimitMs + EnsembleHarness.Timing.InitLimitMs);

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static async Task<ReplyHeader> OkAsync(Task<(ReplyHeader Header, byte[] Body)> call, string what)
    {
        var (header, _) = await call;
        Assert.True(header.Err == ErrorCode.Ok, $"{what}: {header.Err}");
        return header;
    }

    [Fact]
    public async Task Three_members_elect_one_leader_and_a_follower_s_write_is_read_on_every_member_after_a_sync()
    {
        await using var ensemble = await EnsembleHarness.StartAsync(output);
        var leader = await ensemble.WaitForLeaderAsync();
        var followers = ensemble.Members.Where(m => m != leader).ToList();
        Assert.Single(ensemble.Members, m => m.Role.State == PeerState.Leading);

        var writer = await followers[0].ConnectAsync();
        var written = await OkAsync(writer.CreateAsync("/config", Bytes("v1")), "create through a follower");

        foreach (var m in ensemble.Members)
        {
            var reader = await m.ConnectAsync();
            await OkAsync(reader.CallAsync(OpCode.Sync, new PathRequest("/config")), $"sync on m{m.Id}");
            var read = await reader.CallAsync(OpCode.GetData, new PathWatchRequest("/config", false));
            Assert.Equal(ErrorCode.Ok, read.Header.Err);
            var node = FakeConnection.Body<GetDataResponse>(read.Body);
            Assert.Equal("v1", Encoding.UTF8.GetString(node.Data!));
            Assert.Equal(written.Zxid, node.Stat.Czxid);
        }

        // Sync on the other follower follows each write acknowledged to the first follower's client: the read pipelined
        // behind it sees the write even though the commit may not have reached that member when the sync was sent.
        var other = await followers[1].ConnectAsync();
        for (int i = 0; i < 20; i++)
        {
            var ack = await OkAsync(writer.CallAsync(OpCode.SetData, new SetDataRequest("/config", Bytes($"v{i + 2}"), -1)), $"set {i}");
            int syncXid = other.Send(OpCode.Sync, new PathRequest("/config"));
            int readXid = other.Send(OpCode.GetData, new PathWatchRequest("/config", false));
            var sync = await other.NextAsync();
            var read = await other.NextAsync();
            Assert.Equal((syncXid, ErrorCode.Ok), (sync.Header.Xid, sync.Header.Err));
            Assert.Equal((readXid, ErrorCode.Ok), (read.Header.Xid, read.Header.Err));
            Assert.True(sync.Header.Zxid >= ack.Zxid, $"sync answered at 0x{sync.Header.Zxid:x}, before the write 0x{ack.Zxid:x} it must follow");
            Assert.Equal($"v{i + 2}", Encoding.UTF8.GetString(FakeConnection.Body<GetDataResponse>(read.Body).Data!));
        }
    }

    [Fact]
    public async Task Two_members_that_reach_each_other_serve_within_the_init_limit_when_the_third_reaches_only_one_of_them()
    {
        // Fresh members vote for the highest id: m3. m2 cannot reach m3, so m1 hears every vote agree and follows at
        // once, while m3, missing m2's vote, waits its finalize time before it leads. m1 reaches both others, so it
        // is in whichever quorum forms: with m2 instead when m1 and m2 agree before m3's core has started (a loaded
        // machine); that pair too reaches each other and must serve as soon.
        var started = new Stopwatch();
        await using var ensemble = await EnsembleHarness.StartAsync(output, beforeCores: async h =>
        {
            await h.CutAsync(h[2], h[3]);
            started.Start(); // the cores start now; binding the systems is not the protocol's time
        });
        var followed = await ensemble[1].WaitForRoleAsync(r => r.State == PeerState.Following && r.Serving,
            EnsembleHarness.RoleTimeout, "following and serving");
        var leader = await ensemble.WaitForLeaderAsync([ensemble[1], ensemble[(int)followed.LeaderId]]);
        var serving = started.Elapsed;
        leader.Log.Note($"m{leader.Id} leads and m1 follows {serving.TotalMilliseconds:F0} ms after the cores started");
        // Healthy, this takes a few election rounds and one sync: tens of milliseconds, far below the init limit.
        Assert.True(serving < TimeSpan.FromMilliseconds(EnsembleHarness.Timing.InitLimitMs),
            $"a quorum that reaches each other took {serving.TotalMilliseconds:F0} ms to serve (init limit {EnsembleHarness.Timing.InitLimitMs} ms)");

        var client = await ensemble[1].ConnectAsync();
        await OkAsync(client.CreateAsync("/served", Bytes("yes")), "create on the quorum");
    }

    [Fact]
    public async Task A_leader_cut_off_from_both_others_acknowledges_nothing_the_majority_elects_another_and_after_the_heal_its_write_is_gone()
    {
        await using var ensemble = await EnsembleHarness.StartAsync(output);
        var old = await ensemble.WaitForLeaderAsync();
        var majority = ensemble.Members.Where(m => m != old).ToList();
        var onOld = await old.ConnectAsync();
        var before = await OkAsync(onOld.CreateAsync("/before", Bytes("b")), "create before the cut");

        var cut = Stopwatch.StartNew();
        await ensemble.CutOffAsync(old);
        int lostXid = onOld.Send(OpCode.Create, new CreateRequest("/lost", Bytes("never"), Acl.OpenAclUnsafe, (int)CreateMode.Persistent));

        var leader = await ensemble.WaitForLeaderAsync(majority);
        var elected = cut.Elapsed;
        old.Log.Note($"m{leader.Id} leads the majority {elected.TotalMilliseconds:F0} ms after the cut");
        Assert.NotEqual(old, leader);
        // The followers notice the silence after the sync limit; electing and syncing is bounded by the init limit.
        // The slack is for a busy machine, not for the protocol.
        Assert.True(elected < Limits + TimeSpan.FromSeconds(3), $"the majority took {elected.TotalMilliseconds:F0} ms to elect a leader");

        // The old leader stops serving within the sync limit: its client's connection is closed, the write unanswered.
        var closed = await onOld.Connection.ClosedTask.WaitAsync(Limits);
        old.Log.Note($"old leader closed its client: {closed}");
        Assert.True(old.Role is { Serving: false }, $"the old leader still serves: {old}");

        var onMajority = await majority.First(m => m != leader).ConnectAsync();
        await OkAsync(onMajority.CreateAsync("/after", Bytes("a")), "create on the majority");
        var onLeader = await leader.ConnectAsync();
        await OkAsync(onLeader.CallAsync(OpCode.SetData, new SetDataRequest("/before", Bytes("b2"), 0)), "set on the new leader");

        // The old leader journaled the write it could not commit: the one txn after what its client saw acknowledged.
        long lostZxid = old.Journal.LastDurableZxid;
        Assert.True(lostZxid > before.Zxid, $"the write sent during the cut never reached the old leader's journal (last 0x{lostZxid:x})");

        await ensemble.HealAsync(old);
        await old.WaitFollowingAsync(leader, EnsembleHarness.RoleTimeout);
        Assert.DoesNotContain(old.Journal.ReadAfter(before.Zxid), t => t.Header.Zxid == lostZxid);

        while (onOld.Connection.TryNextFrame(out var frame))
        {
            var r = new JuteReader(frame);
            var header = ReplyHeader.Read(ref r);
            Assert.False(header.Xid == lostXid && header.Err == ErrorCode.Ok, "the write sent to the cut-off leader was acknowledged");
        }

        var dumps = new List<IReadOnlyList<string>>();
        foreach (var m in ensemble.Members) dumps.Add(await EnsembleHarness.DumpAsync(await m.ConnectAsync()));
        Assert.Contains(dumps[0], l => l.StartsWith("/after ", StringComparison.Ordinal));
        Assert.Contains(dumps[0], l => l.StartsWith("/before v1 ", StringComparison.Ordinal));
        Assert.DoesNotContain(dumps[0], l => l.StartsWith("/lost", StringComparison.Ordinal));
        Assert.All(dumps, d => Assert.Equal(dumps[0], d));
    }

    [Fact]
    public async Task A_restarted_follower_resyncs_and_serves_what_was_written_while_it_was_down()
    {
        await using var ensemble = await EnsembleHarness.StartAsync(output);
        var leader = await ensemble.WaitForLeaderAsync();
        var down = ensemble.Members.First(m => m != leader);
        var onLeader = await leader.ConnectAsync();
        await OkAsync(onLeader.CreateAsync("/r1", Bytes("one")), "create with every member up");

        await down.StopAsync();
        for (int i = 0; i < 10; i++) await OkAsync(onLeader.CreateAsync($"/r1/c{i}", Bytes($"{i}")), $"create {i} with m{down.Id} down");
        var last = await OkAsync(onLeader.CallAsync(OpCode.SetData, new SetDataRequest("/r1", Bytes("two"), -1)), "set with a member down");

        await ensemble.StartAgainAsync(down);
        await down.WaitFollowingAsync(leader, EnsembleHarness.RoleTimeout);

        // Serving means synced: without a sync, the restarted member already answers with everything acknowledged before.
        var onDown = await down.ConnectAsync(lastZxidSeen: last.Zxid);
        var read = await onDown.CallAsync(OpCode.GetData, new PathWatchRequest("/r1", false));
        Assert.Equal(ErrorCode.Ok, read.Header.Err);
        Assert.Equal("two", Encoding.UTF8.GetString(FakeConnection.Body<GetDataResponse>(read.Body).Data!));
        var children = await onDown.CallAsync(OpCode.GetChildren, new PathWatchRequest("/r1", false));
        Assert.Equal(10, FakeConnection.Body<GetChildrenResponse>(children.Body).Children.Count);

        await OkAsync(onDown.CreateAsync("/r2", Bytes("from the restarted member")), "create through the restarted member");
        Assert.Equal(await EnsembleHarness.DumpAsync(onLeader), await EnsembleHarness.DumpAsync(onDown));
    }

    [Fact]
    public async Task A_session_of_a_member_that_is_cut_off_reattaches_on_another_member_and_keeps_its_ephemeral_node()
    {
        await using var ensemble = await EnsembleHarness.StartAsync(output);
        var leader = await ensemble.WaitForLeaderAsync();
        var cutOff = ensemble.Members.First(m => m != leader);
        var other = ensemble.Members.First(m => m != leader && m != cutOff);

        var client = await cutOff.ConnectAsync(timeoutMs: 20_000);
        long sessionId = client.Response.SessionId;
        var created = await OkAsync(CreateEphemeralAsync(client), "ephemeral create");

        await ensemble.CutOffAsync(cutOff);
        var closed = await client.Connection.ClosedTask.WaitAsync(Limits);
        cutOff.Log.Note($"closed the client: {closed}");

        var moved = await other.ConnectAsync(timeoutMs: 20_000, sessionId: sessionId, password: client.Response.Passwd, lastZxidSeen: created.Zxid);
        Assert.Equal(sessionId, moved.Response.SessionId);
        Assert.True(moved.Response.TimeOut > 0, "the session was refused on another member");

        var exists = await moved.CallAsync(OpCode.Exists, new PathWatchRequest("/workers/w1", false));
        Assert.Equal(ErrorCode.Ok, exists.Header.Err);
        Assert.Equal(sessionId, FakeConnection.Body<StatResponse>(exists.Body).Stat.EphemeralOwner);

        // The session goes on working there, and the leader's members see its node.
        await OkAsync(moved.CallAsync(OpCode.SetData, new SetDataRequest("/workers/w1", Bytes("still me"), 0)), "set through the moved session");
        var onLeader = await leader.ConnectAsync();
        await OkAsync(onLeader.CallAsync(OpCode.Sync, new PathRequest("/workers/w1")), "sync on the leader");
        var seen = await onLeader.CallAsync(OpCode.GetData, new PathWatchRequest("/workers/w1", false));
        Assert.Equal(ErrorCode.Ok, seen.Header.Err);
        var node = FakeConnection.Body<GetDataResponse>(seen.Body);
        Assert.Equal((sessionId, "still me"), (node.Stat.EphemeralOwner, Encoding.UTF8.GetString(node.Data!)));

        await ensemble.HealAsync(cutOff);
        await cutOff.WaitFollowingAsync(leader, EnsembleHarness.RoleTimeout);
        Assert.Equal(await EnsembleHarness.DumpAsync(onLeader), await EnsembleHarness.DumpAsync(await cutOff.ConnectAsync()));
    }

    [Fact]
    public async Task A_member_that_has_not_applied_an_expiry_yet_refuses_the_expired_session_instead_of_reviving_it()
    {
        await using var ensemble = await EnsembleHarness.StartAsync(output);
        var leader = await ensemble.WaitForLeaderAsync();
        var home = ensemble.Members.First(m => m != leader);
        var lagging = ensemble.Members.First(m => m != leader && m != home);

        var watcher = await leader.ConnectAsync();
        var client = await home.ConnectAsync(timeoutMs: 2 * EnsembleHarness.TickMs);
        var created = await OkAsync(CreateEphemeralAsync(client), "ephemeral create");
        await OkAsync(watcher.CallAsync(OpCode.Sync, new PathRequest("/workers/w1")), "sync on the leader");
        await OkAsync(watcher.CallAsync(OpCode.Exists, new PathWatchRequest("/workers/w1", true)), "watch the ephemeral");
        // The lagging member has the session's node (so it would take the client's lastZxidSeen) before it falls behind.
        await OkAsync((await lagging.ConnectAsync()).CallAsync(OpCode.Sync, new PathRequest("/workers/w1")), "sync on the lagging member");

        // The lagging member hears nothing more from the leader (it still reaches the leader): it keeps serving until its
        // lease runs out and never applies what comes next. The client goes silent, so the leader expires its session.
        await ensemble.CutOneWayAsync(leader, lagging);
        var gone = await watcher.NextAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((Xids.Notification, EventType.NodeDeleted),
            (gone.Header.Xid, FakeConnection.Body<WatcherEvent>(gone.Body).Type));

        // The client comes back on the lagging member, whose tree still has the session: as with ZooKeeper (a reconnect is
        // validated by the leader's session tracker), it must not be told that its session lives.
        Client? again = null;
        try
        {
            again = await lagging.ConnectAsync(timeoutMs: 2 * EnsembleHarness.TickMs, sessionId: client.Response.SessionId,
                password: client.Response.Passwd, lastZxidSeen: created.Zxid);
        }
        catch (InvalidOperationException closed)
        {
            lagging.Log.Note($"the reconnect was closed without an answer: {closed.Message}");
        }
        Assert.True(again is null || again.Response.TimeOut == 0,
            $"m{lagging.Id} re-attached session 0x{client.Response.SessionId:x} (timeout {again?.Response.TimeOut} ms) that the leader had expired");
    }

    [Fact]
    public async Task A_write_still_arriving_through_the_member_a_session_left_is_refused_as_moved_and_takes_no_effect()
    {
        await using var ensemble = await EnsembleHarness.StartAsync(output);
        var leader = await ensemble.WaitForLeaderAsync();
        var first = ensemble.Members.First(m => m != leader);
        var second = ensemble.Members.First(m => m != leader && m != first);

        var client = await first.ConnectAsync(timeoutMs: 20_000);
        var created = await OkAsync(client.CreateAsync("/moved", Bytes("v0")), "create through the first member");

        // The client goes on through the second member and writes there; the first still holds its old connection. (A sync
        // there first: the second member refuses a client that has seen a zxid it has not applied yet.)
        await OkAsync((await second.ConnectAsync()).CallAsync(OpCode.Sync, new PathRequest("/moved")), "sync on the second member");
        var moved = await second.ConnectAsync(timeoutMs: 20_000, sessionId: client.Response.SessionId, password: client.Response.Passwd,
            lastZxidSeen: created.Zxid);
        Assert.True(moved.Response.TimeOut > 0, "the session was refused on the second member");
        // A real client's xids go on across a reconnect, so what it sends now is numbered above its stale write (xid 2 on
        // the first member); two reads take this spec's second connection past it.
        await OkAsync(moved.CallAsync(OpCode.Exists, new PathWatchRequest("/moved", false)), "read on the second member");
        await OkAsync(moved.CallAsync(OpCode.Exists, new PathWatchRequest("/moved", false)), "read on the second member");
        await OkAsync(moved.CallAsync(OpCode.SetData, new SetDataRequest("/moved", Bytes("v1"), 0)), "set through the second member");

        // A write the first member still forwards (it was on its way when the client gave up on that connection) must not
        // land after what the client did since: ZooKeeper answers it SESSIONMOVED.
        var stale = await client.CallAsync(OpCode.SetData, new SetDataRequest("/moved", Bytes("stale"), -1));
        Assert.Equal(ErrorCode.SessionMoved, stale.Header.Err);

        await OkAsync(moved.CallAsync(OpCode.Sync, new PathRequest("/moved")), "sync on the second member");
        var read = await moved.CallAsync(OpCode.GetData, new PathWatchRequest("/moved", false));
        var node = FakeConnection.Body<GetDataResponse>(read.Body);
        Assert.Equal(("v1", 1), (Encoding.UTF8.GetString(node.Data!), node.Stat.Version));
    }

    private static async Task<(ReplyHeader Header, byte[] Body)> CreateEphemeralAsync(Client client)
    {
        await OkAsync(client.CreateAsync("/workers"), "parent");
        return await client.CreateAsync("/workers/w1", Bytes("me"), CreateMode.Ephemeral);
    }

    [Fact]
    public async Task A_member_down_while_more_txns_than_the_window_were_written_catches_up_by_a_snapshot_in_chunks_and_serves_the_same_data()
    {
        const int ChunkBytes = 4096;
        await using var ensemble = await EnsembleHarness.StartAsync(output, windowTxnsMax: 50, snapshotChunkBytes: ChunkBytes);
        var leader = await ensemble.WaitForLeaderAsync();
        var down = ensemble.Members.First(m => m != leader);
        var onLeader = await leader.ConnectAsync();
        await OkAsync(onLeader.CreateAsync("/snap", Bytes("root")), "create with every member up");

        await down.StopAsync();
        const int Writes = 500;
        var xids = Enumerable.Range(0, Writes)
            .Select(i => onLeader.Send(OpCode.Create, new CreateRequest($"/snap/n{i:D3}", Bytes($"{i}"), Acl.OpenAclUnsafe, (int)CreateMode.Persistent)))
            .ToList();
        foreach (int xid in xids)
        {
            var reply = await onLeader.NextAsync();
            Assert.Equal((xid, ErrorCode.Ok), (reply.Header.Xid, reply.Header.Err));
        }

        await ensemble.StartAgainAsync(down);
        await down.WaitFollowingAsync(leader, EnsembleHarness.RoleTimeout);
        Assert.True(down.Log.Logged(4103), $"m{down.Id} caught up without installing the leader's snapshot (SNAP)");
        // "sending member N the snapshot at 0x... (B bytes) in K chunks": streamed in more than one.
        var streamed = leader.Log.Messages(1703).Last(m => m.StartsWith($"Replication: sending member {down.Id} ", StringComparison.Ordinal));
        var figures = System.Text.RegularExpressions.Regex.Match(streamed, @"\((\d+) bytes\) in (\d+) chunks");
        int bytes = int.Parse(figures.Groups[1].Value), chunks = int.Parse(figures.Groups[2].Value);
        Assert.True(chunks > 1, streamed);
        Assert.Equal((bytes + ChunkBytes - 1) / ChunkBytes, chunks);

        var onDown = await down.ConnectAsync();
        var children = await onDown.CallAsync(OpCode.GetChildren, new PathWatchRequest("/snap", false));
        Assert.Equal(Writes, FakeConnection.Body<GetChildrenResponse>(children.Body).Children.Count);
        await OkAsync(onDown.CreateAsync("/snap/after", Bytes("x")), "create through the member that caught up");
        Assert.Equal(await EnsembleHarness.DumpAsync(onLeader), await EnsembleHarness.DumpAsync(onDown));
    }
}

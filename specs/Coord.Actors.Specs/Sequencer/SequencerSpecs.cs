using Akka.Actor;
using Coord.Actors.Journal;
using Coord.Actors.Specs.Journal;
using Coord.Actors.Sequencer;
using Coord.Actors.Settings;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Specs.Sequencer;

public sealed class SequencerSpecs : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task A_new_session_gets_an_id_a_password_and_a_clamped_timeout()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var a = await h.ConnectAsync(timeoutMs: 999_999);
        Assert.Equal(20_000, a.Response.TimeOut);
        Assert.NotEqual(0, a.Response.SessionId);
        Assert.Equal(16, a.Response.Passwd!.Length);
        var b = await h.ConnectAsync(timeoutMs: 1);
        Assert.Equal(2000, b.Response.TimeOut);
        Assert.NotEqual(a.Response.SessionId, b.Response.SessionId);
    }

    [Fact]
    public async Task Replies_carry_the_xid_and_the_last_applied_zxid_and_writes_get_increasing_zxids()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var c = await h.ConnectAsync();
        var first = await c.CreateAsync("/a", [1]);
        var second = await c.CreateAsync("/b", [2]);
        Assert.Equal(ErrorCode.Ok, first.Header.Err);
        Assert.Equal("/a", FakeConnection.Body<CreateResponse>(first.Body).Path);
        Assert.True(second.Header.Zxid > first.Header.Zxid);
        var read = await c.CallAsync(OpCode.GetData, new PathWatchRequest("/a", false));
        Assert.Equal(second.Header.Zxid, read.Header.Zxid);
        Assert.Equal(new byte[] { 1 }, FakeConnection.Body<GetDataResponse>(read.Body).Data);
    }

    [Fact]
    public async Task A_failed_write_answers_its_error_with_no_body()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var c = await h.ConnectAsync();
        var reply = await c.CallAsync(OpCode.Delete, new DeleteRequest("/missing", -1));
        Assert.Equal(ErrorCode.NoNode, reply.Header.Err);
        Assert.Empty(reply.Body);
    }

    [Fact]
    public async Task The_event_reaches_the_watcher_before_the_reply_to_its_own_write()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var c = await h.ConnectAsync();
        await c.CreateAsync("/w");
        await c.CallAsync(OpCode.GetData, new PathWatchRequest("/w", true));
        int xid = c.Send(OpCode.SetData, new SetDataRequest("/w", [9], -1));
        var ev = await c.NextAsync();
        Assert.Equal(Xids.Notification, ev.Header.Xid);
        var body = FakeConnection.Body<WatcherEvent>(ev.Body);
        Assert.Equal((EventType.NodeDataChanged, "/w", KeeperState.SyncConnected), (body.Type, body.Path, body.State));
        var reply = await c.NextAsync();
        Assert.Equal(xid, reply.Header.Xid);
        Assert.Equal(reply.Header.Zxid, ev.Header.Zxid);
    }

    [Fact]
    public async Task Another_session_sees_the_event_before_any_later_reply()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var watcher = await h.ConnectAsync();
        var writer = await h.ConnectAsync();
        await writer.CreateAsync("/p");
        await watcher.CallAsync(OpCode.GetChildren, new PathWatchRequest("/p", true));
        await writer.CreateAsync("/p/c");
        int xid = watcher.Send(OpCode.Exists, new PathWatchRequest("/p/c", false));
        var ev = await watcher.NextAsync();
        Assert.Equal(Xids.Notification, ev.Header.Xid);
        Assert.Equal(EventType.NodeChildrenChanged, FakeConnection.Body<WatcherEvent>(ev.Body).Type);
        Assert.Equal(xid, (await watcher.NextAsync()).Header.Xid);
    }

    [Fact]
    public async Task An_expired_session_loses_its_ephemerals_and_its_watchers_are_told()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var doomed = await h.ConnectAsync(timeoutMs: 4000);
        var other = await h.ConnectAsync(timeoutMs: 20_000);
        await doomed.CreateAsync("/e", null, CreateMode.Ephemeral);
        await other.CallAsync(OpCode.Exists, new PathWatchRequest("/e", true));

        h.Clock.Advance(3000);
        h.Tick();
        await other.CallAsync(OpCode.Ping, null); // the tick is processed before the ping
        Assert.False(doomed.Connection.IsClosed);

        h.Clock.Advance(3000);
        h.Tick();
        var ev = await other.NextAsync();
        Assert.Equal((EventType.NodeDeleted, "/e"), (FakeConnection.Body<WatcherEvent>(ev.Body).Type, FakeConnection.Body<WatcherEvent>(ev.Body).Path));
        Assert.Equal("session expired", await doomed.Connection.ClosedTask.WaitAsync(TimeSpan.FromSeconds(5)));
        var exists = await other.CallAsync(OpCode.Exists, new PathWatchRequest("/e", false));
        Assert.Equal(ErrorCode.NoNode, exists.Header.Err);

        var again = await h.ConnectAsync(sessionId: doomed.Response.SessionId, password: doomed.Response.Passwd);
        Assert.Equal(0, again.Response.TimeOut);
        Assert.Equal(0, again.Response.SessionId);
        Assert.True(again.Connection.IsClosed);
        Assert.Equal(1, (await h.StatsAsync()).ExpiredSessions);
    }

    [Fact]
    public async Task Any_request_keeps_a_session_alive()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var c = await h.ConnectAsync(timeoutMs: 4000);
        for (int i = 0; i < 5; i++)
        {
            h.Clock.Advance(3000);
            Assert.Equal(ErrorCode.Ok, (await c.CallAsync(OpCode.Ping, null)).Header.Err);
            h.Tick();
        }
        // An expiring session's requests are answered SESSIONEXPIRED; this one is still alive.
        Assert.Equal(ErrorCode.Ok, (await c.CallAsync(OpCode.Ping, null)).Header.Err);
        Assert.False(c.Connection.IsClosed);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_like_an_expired_session()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var c = await h.ConnectAsync();
        var bad = new byte[16];
        bad[15] = 0xEE;
        var again = await h.ConnectAsync(sessionId: c.Response.SessionId, password: bad);
        Assert.Equal(0, again.Response.TimeOut);
        Assert.Equal(new byte[16], again.Response.Passwd);
        Assert.True(again.Connection.IsClosed);
        Assert.False(c.Connection.IsClosed);
    }

    [Fact]
    public async Task Reattaching_moves_the_session_and_closes_the_old_connection_and_its_watches()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var first = await h.ConnectAsync();
        await first.CreateAsync("/m", [1]);
        await first.CallAsync(OpCode.GetData, new PathWatchRequest("/m", true));
        var second = await h.ConnectAsync(sessionId: first.Response.SessionId, password: first.Response.Passwd);
        Assert.Equal(first.Response.SessionId, second.Response.SessionId);
        await first.Connection.ClosedTask.WaitAsync(TimeSpan.FromSeconds(5));

        // The old connection's watch went with it; the session and its data did not.
        await second.CallAsync(OpCode.SetData, new SetDataRequest("/m", [2], -1));
        var stats = await h.StatsAsync();
        Assert.Equal(0, stats.WatchCount);

        // A request that still arrives on the old connection is refused with SESSIONMOVED.
        var stale = h.NewConnection();
        second.SendOn(stale, OpCode.GetData, new PathWatchRequest("/m", false));
        var moved = await stale.NextReplyAsync();
        Assert.Equal(ErrorCode.SessionMoved, moved.Header.Err);
    }

    [Fact]
    public async Task SetWatches_fires_what_changed_since_the_clients_zxid_and_rearms_the_rest()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var c = await h.ConnectAsync();
        await c.CreateAsync("/same");
        var seen = await c.CreateAsync("/changed");
        long rel = seen.Header.Zxid;
        await c.CallAsync(OpCode.SetData, new SetDataRequest("/changed", [1], -1));
        await c.CreateAsync("/born");

        int xid = c.Send(OpCode.SetWatches, new SetWatchesRequest(rel, ["/same", "/changed", "/gone"], ["/born", "/unborn"], ["/"], [], [], false));
        var events = new List<(EventType, string)>();
        while (true)
        {
            var r = await c.NextAsync();
            if (r.Header.Xid == xid) break;
            var e = FakeConnection.Body<WatcherEvent>(r.Body);
            events.Add((e.Type, e.Path));
        }
        Assert.Equal(
            [(EventType.NodeDataChanged, "/changed"), (EventType.NodeDeleted, "/gone"), (EventType.NodeCreated, "/born"), (EventType.NodeChildrenChanged, "/")],
            events);
        // /same and /unborn are armed: creating /unborn fires, before the create's reply.
        int create = c.Send(OpCode.Create, new CreateRequest("/unborn", null, Acl.OpenAclUnsafe, 0));
        var born = await c.NextAsync();
        Assert.Equal((Xids.Notification, EventType.NodeCreated), (born.Header.Xid, FakeConnection.Body<WatcherEvent>(born.Body).Type));
        Assert.Equal(create, (await c.NextAsync()).Header.Xid);
        var stats = await h.StatsAsync();
        Assert.Equal(1, stats.WatchCount); // /same remains
    }

    [Fact]
    public async Task A_persistent_recursive_watch_sees_every_change_below_it()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var watcher = await h.ConnectAsync();
        var writer = await h.ConnectAsync();
        var added = await watcher.CallAsync(OpCode.AddWatch, new AddWatchRequest("/r", AddWatchMode.PersistentRecursive));
        Assert.Equal(ErrorCode.Ok, FakeConnection.Body<ErrorResponse>(added.Body).Err);
        await writer.CreateAsync("/r");
        await writer.CreateAsync("/r/a");
        await writer.CallAsync(OpCode.SetData, new SetDataRequest("/r/a", [1], -1));
        await writer.CallAsync(OpCode.Delete, new DeleteRequest("/r/a", -1));
        var events = new List<(EventType, string)>();
        for (int i = 0; i < 4; i++)
        {
            var e = FakeConnection.Body<WatcherEvent>((await watcher.NextAsync()).Body);
            events.Add((e.Type, e.Path));
        }
        Assert.Equal([(EventType.NodeCreated, "/r"), (EventType.NodeCreated, "/r/a"), (EventType.NodeDataChanged, "/r/a"), (EventType.NodeDeleted, "/r/a")], events);
        var removed = await watcher.CallAsync(OpCode.RemoveWatches, new WatchesRequest("/r", WatcherType.Any));
        Assert.Equal(ErrorCode.Ok, removed.Header.Err);
        var again = await watcher.CallAsync(OpCode.RemoveWatches, new WatchesRequest("/r", WatcherType.Any));
        Assert.Equal(ErrorCode.NoWatcher, again.Header.Err);
    }

    [Fact]
    public async Task CloseSession_answers_then_closes_and_removes_ephemerals()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var c = await h.ConnectAsync();
        var other = await h.ConnectAsync();
        await c.CreateAsync("/eph", null, CreateMode.Ephemeral);
        var reply = await c.CallAsync(OpCode.CloseSession, null);
        Assert.Equal(ErrorCode.Ok, reply.Header.Err);
        await c.Connection.ClosedTask.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(ErrorCode.NoNode, (await other.CallAsync(OpCode.Exists, new PathWatchRequest("/eph", false))).Header.Err);
        Assert.Equal(1, (await h.StatsAsync()).SessionCount);
    }

    [Fact]
    public async Task WhoAmI_lists_the_connections_ids_and_digest_auth_adds_one()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var c = await h.ConnectAsync();
        var before = FakeConnection.Body<WhoAmIResponse>((await c.CallAsync(OpCode.WhoAmI, null)).Body);
        Assert.Equal([new ClientInfo("ip", "127.0.0.1")], before.ClientInfo);
        c.Session!.Tell(new Coord.Actors.Sessions.Inbound(c.Connection.Id, Xids.Auth, OpCode.Auth,
            new AuthPacket(0, "digest", System.Text.Encoding.UTF8.GetBytes("bob:secret"))));
        Assert.Equal(Xids.Auth, (await c.NextAsync()).Header.Xid);
        var after = FakeConnection.Body<WhoAmIResponse>((await c.CallAsync(OpCode.WhoAmI, null)).Body);
        Assert.Contains(new ClientInfo("digest", "bob"), after.ClientInfo);
    }

    [Fact]
    public async Task An_unknown_auth_scheme_fails_and_closes_the_connection()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var c = await h.ConnectAsync();
        c.Session!.Tell(new Coord.Actors.Sessions.Inbound(c.Connection.Id, Xids.Auth, OpCode.Auth, new AuthPacket(0, "kerberos", [1])));
        Assert.Equal(ErrorCode.AuthFailed, (await c.NextAsync()).Header.Err);
        await c.Connection.ClosedTask.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Check_outside_multi_is_unimplemented_and_closes_the_connection()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var c = await h.ConnectAsync();
        var reply = await c.CallAsync(OpCode.Check, new CheckVersionRequest("/", -1));
        Assert.Equal(ErrorCode.Unimplemented, reply.Header.Err);
        await c.Connection.ClosedTask.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static async Task<Client> ConnectThroughGate(SequencerHarness h, GatedJournal journal)
    {
        var connecting = h.ConnectAsync();
        (await journal.NextAppendAsync()).SetResult();
        return await connecting;
    }

    [Fact]
    public async Task Nothing_is_acknowledged_before_the_journal_says_durable_and_a_later_read_waits_for_the_write()
    {
        var journal = new GatedJournal();
        var h = await SequencerHarness.StartAsync(Sys, journal: journal);
        var c = await ConnectThroughGate(h, journal);

        int w = c.Send(OpCode.Create, new CreateRequest("/x", [7], Acl.OpenAclUnsafe, 0));
        int r = c.Send(OpCode.GetData, new PathWatchRequest("/x", false));
        var append = await journal.NextAppendAsync();
        await h.StatsAsync(); // the read has reached the sequencer too
        Assert.False(c.Connection.TryNextFrame(out _));
        append.SetResult();
        Assert.Equal(w, (await c.NextAsync()).Header.Xid);
        var read = await c.NextAsync();
        Assert.Equal(r, read.Header.Xid);
        Assert.Equal(new byte[] { 7 }, FakeConnection.Body<GetDataResponse>(read.Body).Data);
    }

    [Fact]
    public async Task Writes_arriving_during_an_append_are_grouped_into_the_next_batch()
    {
        var journal = new GatedJournal();
        var h = await SequencerHarness.StartAsync(Sys, journal: journal);
        var c = await ConnectThroughGate(h, journal);
        c.Send(OpCode.Create, new CreateRequest("/g0", null, Acl.OpenAclUnsafe, 0));
        var first = await journal.NextAppendAsync();
        // Fifty writes read in one go from the connection (as a pipelining client's burst arrives) while the first
        // append is in flight: they wait at the journal actor, whenever they get there, and go out as one append.
        c.SendBurst(Enumerable.Range(1, 50).Select(i => (OpCode.Create, (object?)new CreateRequest($"/g{i}", null, Acl.OpenAclUnsafe, 0))));
        Assert.Equal(2, journal.Count); // connect + the first write; nothing else starts while an append is in flight
        first.SetResult();
        (await journal.NextAppendAsync()).SetResult();
        for (int i = 0; i <= 50; i++) Assert.Equal(ErrorCode.Ok, (await c.NextAsync()).Header.Err);
        Assert.Equal(3, journal.Count);
    }

    [Fact]
    public async Task A_journal_failure_stops_the_sequencer_without_acknowledging_the_write()
    {
        var journal = new GatedJournal();
        var h = await SequencerHarness.StartAsync(Sys, journal: journal);
        var c = await ConnectThroughGate(h, journal);
        c.Send(OpCode.Create, new CreateRequest("/y", null, Acl.OpenAclUnsafe, 0));
        (await journal.NextAppendAsync()).SetException(new IOException("disk on fire"));
        await h.Fatal.WaitAsync(TimeSpan.FromSeconds(5));
        await c.Connection.ClosedTask.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(c.Connection.TryNextFrame(out _));
    }

    [Fact]
    public async Task Ten_thousand_concurrent_sessions_are_held()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        // Off xunit's synchronization context, whose few workers would serialize 10,000 continuations.
        var clients = await Task.Run(() => Task.WhenAll(Enumerable.Range(0, 10_000).Select(_ => h.ConnectAsync())));
        Assert.Equal(10_000, clients.Select(c => c.Response.SessionId).Distinct().Count());
        Assert.Equal(10_000, (await h.StatsAsync()).SessionCount);
        var last = clients[^1];
        Assert.Equal(ErrorCode.Ok, (await last.CreateAsync("/still-works")).Header.Err);
    }
}

public sealed class CleanupSpecs : Akka.TestKit.Xunit2.TestKit
{
    private Task<SequencerHarness> HarnessAsync() => SequencerHarness.StartAsync(Sys, SequencerHarness.DefaultSettings with
    {
        Znode = new ZnodeSettings(ExtendedTypesEnabled: true, ContainerCheckIntervalMs: 1000, ContainerMaxPerMinute: 600),
    });

    [Fact]
    public async Task A_container_is_deleted_once_its_last_child_goes_and_its_watchers_are_told()
    {
        var h = await HarnessAsync();
        var c = await h.ConnectAsync();
        await c.CallAsync(OpCode.CreateContainer, new CreateRequest("/c", null, Acl.OpenAclUnsafe, (int)CreateMode.Container));
        await c.CreateAsync("/never-used-is-kept");
        await c.CallAsync(OpCode.CreateContainer, new CreateRequest("/never-used", null, Acl.OpenAclUnsafe, (int)CreateMode.Container));
        await c.CreateAsync("/c/x");
        h.Clock.Advance(1500);
        h.Tick();
        Assert.Equal(ErrorCode.Ok, (await c.CallAsync(OpCode.Exists, new PathWatchRequest("/c", true))).Header.Err);

        await c.CallAsync(OpCode.Delete, new DeleteRequest("/c/x", -1));
        h.Clock.Advance(1500);
        h.Tick();
        var ev = await c.NextAsync();
        var e = FakeConnection.Body<WatcherEvent>(ev.Body);
        Assert.Equal((EventType.NodeDeleted, "/c"), (e.Type, e.Path));
        Assert.Equal(ErrorCode.NoNode, (await c.CallAsync(OpCode.Exists, new PathWatchRequest("/c", false))).Header.Err);
        Assert.Equal(ErrorCode.Ok, (await c.CallAsync(OpCode.Exists, new PathWatchRequest("/never-used", false))).Header.Err);
    }

    [Fact]
    public async Task A_ttl_node_is_deleted_after_its_ttl_without_changes_and_children()
    {
        var h = await HarnessAsync();
        var c = await h.ConnectAsync();
        var created = await c.CallAsync(OpCode.CreateTtl,
            new CreateTtlRequest("/ttl", [1], Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 3000));
        Assert.Equal(ErrorCode.Ok, created.Header.Err);
        Assert.Equal(0, FakeConnection.Body<Create2Response>(created.Body).Stat.EphemeralOwner);
        h.Clock.Advance(2000);
        h.Tick();
        // The cleanup's delete is a txn like any other: wait for its event rather than race it with a read.
        Assert.Equal(ErrorCode.Ok, (await c.CallAsync(OpCode.Exists, new PathWatchRequest("/ttl", true))).Header.Err);
        h.Clock.Advance(2000);
        h.Tick();
        var e = FakeConnection.Body<WatcherEvent>((await c.NextAsync()).Body);
        Assert.Equal((EventType.NodeDeleted, "/ttl"), (e.Type, e.Path));
        Assert.Equal(ErrorCode.NoNode, (await c.CallAsync(OpCode.Exists, new PathWatchRequest("/ttl", false))).Header.Err);
    }

    [Fact]
    public async Task Ttl_creates_are_unimplemented_unless_enabled()
    {
        var h = await SequencerHarness.StartAsync(Sys);
        var c = await h.ConnectAsync();
        var reply = await c.CallAsync(OpCode.CreateTtl,
            new CreateTtlRequest("/ttl", null, Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 3000));
        Assert.Equal(ErrorCode.Unimplemented, reply.Header.Err);
    }
}

/// <summary>The core's actors under Akka supervision, and the write path across a zxid counter rollover.</summary>
public sealed class CoreActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public async Task Writes_across_a_counter_rollover_get_zxids_of_the_next_epoch_and_are_applied_in_order()
    {
        var h = await SequencerHarness.StartAsync(Sys, counterMax: 4);
        var c = await h.ConnectAsync(); // zxid (0, 1)
        var zxids = new List<long>();
        for (int i = 0; i < 8; i++) zxids.Add((await c.CreateAsync($"/r{i}")).Header.Zxid);
        Assert.Equal(
            [(0L, 2L), (0L, 3L), (0L, 4L), (1L, 1L), (1L, 2L), (1L, 3L), (1L, 4L), (2L, 1L)],
            zxids.Select(z => (JournalRecord.EpochOf(z), Coord.Actors.Sequencer.ZxidAllocator.CounterOf(z))).ToList());
        var stat = FakeConnection.Body<StatResponse>((await c.CallAsync(OpCode.Exists, new PathWatchRequest("/r7", false))).Body).Stat;
        Assert.Equal(zxids[^1], stat.Czxid);
        Assert.Equal(zxids[^1], h.Journal.LastDurableZxid);
        // Each epoch was persisted as accepted and current before its first txn was journaled.
        Assert.Equal((2L, 2L), (h.Journal.AcceptedEpoch, h.Journal.CurrentEpoch));
        Assert.Equal(4 + 8, (await h.StatsAsync()).NodeCount); // "/", /zookeeper, its quota and config, and the eight
    }

    [Fact]
    public async Task A_session_actor_that_throws_closes_only_its_clients_connection_with_a_log_line()
    {
        var log = new Snapshots.ListLogger();
        var h = await SequencerHarness.StartAsync(Sys, loggers: new OneLoggerFactory(log));
        var failing = await h.ConnectAsync();
        var other = await h.ConnectAsync();
        await other.CreateAsync("/before");

        failing.Connection.FailNextSend = true; // the session actor's next write to it throws
        failing.Send(OpCode.Exists, new PathWatchRequest("/before", false));
        Assert.Equal("session stopped by a failure or a server stop", await failing.Connection.ClosedTask.WaitAsync(TimeSpan.FromSeconds(5)));
        await log.WaitForAsync(e => e.EventId == 1400
            && e.Message.Contains($"0x{failing.Response.SessionId:x}", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        // Everyone else carries on, and the session itself lives: its client may re-attach on a new connection.
        Assert.Equal(ErrorCode.Ok, (await other.CreateAsync("/after")).Header.Err);
        var back = await h.ConnectAsync(sessionId: failing.Response.SessionId, password: failing.Response.Passwd);
        Assert.Equal(failing.Response.SessionId, back.Response.SessionId);
        Assert.Equal(ErrorCode.Ok, (await back.CallAsync(OpCode.Exists, new PathWatchRequest("/after", false))).Header.Err);
        Assert.False(h.Fatal.IsCompleted);
    }

    [Fact]
    public async Task A_broken_invariant_in_the_applier_stops_the_core_loudly_and_closes_every_connection()
    {
        var log = new Snapshots.ListLogger();
        var h = await SequencerHarness.StartAsync(Sys, loggers: new OneLoggerFactory(log));
        var c = await h.ConnectAsync();
        // A committed txn that does not follow the last applied zxid: a gap the applier must not paper over.
        h.Core.Applier.Tell(new Coord.Actors.Applier.Committed([new SequencedTxn(new TxnHeader(0, 0, 0x99, 0), new ErrorTxn(ErrorCode.Ok))]));
        var cause = await h.Fatal.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("does not follow", cause.Message, StringComparison.Ordinal);
        await c.Connection.ClosedTask.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Single(log.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Critical && e.EventId == 1000);
    }

    private sealed class OneLoggerFactory(Microsoft.Extensions.Logging.ILogger logger) : Microsoft.Extensions.Logging.ILoggerFactory
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => logger;
        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider) { }
        public void Dispose() { }
    }
}

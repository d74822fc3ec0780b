using Coord.Actors.Journal;
using Coord.Actors.Settings;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Host.Specs.Server;

namespace Coord.Host.Specs.Durability;

/// <summary>
/// What a restart on the same data folder keeps: every node with its data and full Stat, sessions with
/// their ephemerals (a client may re-attach with id and password; one that does not is expired as usual),
/// and the same tree when recovery starts from a snapshot — or from the previous one when the newest is corrupt.
/// </summary>
public sealed class RestartSpecs : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly DataDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CoordSettings ShortSessions(CoordSettings s) =>
        s with { TickMs = 200, Session = s.Session with { TimeoutMsMin = 400, TimeoutMsMax = 4000 } };

    private static CoordSettings SnapshotEvery50(CoordSettings s) =>
        s with { Snapshot = s.Snapshot with { EveryTxns = 50, Retain = 3, MinTxnsPerZnode = 0 } };

    [Fact]
    public async Task Data_and_every_Stat_field_survive_a_restart()
    {
        IReadOnlyList<string> before;
        await using (var server = await _dir.StartAsync())
        {
            await using var c = await WireClient.ConnectAsync(server.ClientEndPoint.Port);
            await c.CreateAsync("/app", "root");
            await c.CreateAsync("/app/config", "v0");
            await c.SetAsync("/app/config", "v1", version: 0);
            await c.SetAsync("/app/config", "v2", version: 1);
            await c.CreateAsync("/app/gone", "");
            var (err, _) = await c.CallAsync(OpCode.Delete, new DeleteRequest("/app/gone", 0)); // bumps cversion and pzxid of /app
            Assert.Equal(ErrorCode.Ok, err);
            await c.CreateAsync("/app/seq-", "s", CreateMode.PersistentSequential);
            before = await c.DumpAsync();
        }

        await using var restarted = await _dir.StartAsync();
        await using var again = await WireClient.ConnectAsync(restarted.ClientEndPoint.Port);
        Assert.Equal(before, await again.DumpAsync());
        Assert.Contains(before, l => l.StartsWith("/app ", StringComparison.Ordinal) && !l.Contains(" cv=0 ", StringComparison.Ordinal) && l.Contains(" pzxid=8 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_session_that_comes_back_keeps_its_ephemeral_and_one_that_does_not_is_expired()
    {
        long kept, abandoned;
        byte[] keptPassword, abandonedPassword;
        await using (var server = await _dir.StartAsync(ShortSessions))
        {
            await using var a = await WireClient.ConnectAsync(server.ClientEndPoint.Port, Connect(1500));
            await using var b = await WireClient.ConnectAsync(server.ClientEndPoint.Port, Connect(1500));
            await a.CreateAsync("/eph-kept", "a", CreateMode.Ephemeral);
            await b.CreateAsync("/eph-abandoned", "b", CreateMode.Ephemeral);
            (kept, keptPassword) = (a.Handshake!.SessionId, a.Handshake.Passwd!);
            (abandoned, abandonedPassword) = (b.Handshake!.SessionId, b.Handshake.Passwd!);
        }

        await using var restarted = await _dir.StartAsync(ShortSessions);
        Assert.Equal(2, restarted.Recovered!.Tree.Sessions.Count);
        await using var back = await WireClient.ConnectAsync(restarted.ClientEndPoint.Port, Connect(1500, kept, keptPassword));
        Assert.Equal(kept, back.Handshake!.SessionId);
        Assert.True(back.Handshake.TimeOut > 0, "the restored session was refused");

        // The abandoned session's timeout restarted at recovery; it expires while the kept one pings.
        var (err, _) = await back.CallAsync(OpCode.Exists, new PathWatchRequest("/eph-abandoned", true));
        Assert.Equal(ErrorCode.Ok, err);
        var deleted = await WaitForEventWhilePingingAsync(back, EventType.NodeDeleted, "/eph-abandoned", pingEvery: TimeSpan.FromMilliseconds(300));
        Assert.Equal(KeeperState.SyncConnected, deleted.State);

        var mine = await back.GetAsync("/eph-kept");
        Assert.True(mine is not null, "the ephemeral of the session that came back was deleted");
        Assert.Equal(kept, mine.Value.Stat.EphemeralOwner);
        Assert.Null(await back.GetAsync("/eph-abandoned"));

        await using var late = await TryConnectAsync(restarted.ClientEndPoint.Port, Connect(1500, abandoned, abandonedPassword));
        Assert.True(late.Handshake is null || late.Handshake.TimeOut <= 0, "an expired session was re-attached after the restart");
    }

    [Fact]
    public async Task Snapshots_are_retained_and_purge_the_journal_and_a_restart_recovers_the_same_tree()
    {
        var before = await WriteThenDumpAsync(writes: 500);

        var snaps = new SnapshotStore(_dir.Snapshots).List();
        Assert.InRange(snaps.Count, 1, 3);
        long firstZxid = SqliteJournal.Inspect(_dir.Path).First().Zxid;
        Assert.True(firstZxid > 1, $"the journal still starts at 0x{firstZxid:x}: nothing was purged after {snaps.Count} snapshots");

        await using var restarted = await _dir.StartAsync(SnapshotEvery50);
        Assert.Equal(snaps[0].Zxid, restarted.Recovered!.SnapshotZxid);
        await using var c = await WireClient.ConnectAsync(restarted.ClientEndPoint.Port);
        Assert.Equal(before, await c.DumpAsync());
    }

    [Fact]
    public async Task A_corrupt_newest_snapshot_falls_back_to_the_previous_one_and_recovers_the_same_tree()
    {
        var before = await WriteThenDumpAsync(writes: 500);
        var snaps = new SnapshotStore(_dir.Snapshots).List();
        Assert.True(snaps.Count >= 2, $"need a snapshot to fall back to; found {snaps.Count}");
        var bytes = await File.ReadAllBytesAsync(snaps[0].Path);
        bytes[bytes.Length / 2] ^= 0x5A;
        await File.WriteAllBytesAsync(snaps[0].Path, bytes);

        await using var restarted = await _dir.StartAsync(SnapshotEvery50);
        Assert.Equal(snaps[1].Zxid, restarted.Recovered!.SnapshotZxid);
        await using var c = await WireClient.ConnectAsync(restarted.ClientEndPoint.Port);
        Assert.Equal(before, await c.DumpAsync());
    }

    /// <summary>Creates and sets nodes (<paramref name="writes"/> txns in all) on a server that snapshots every
    /// 50 txns, dumps the tree, stops the server cleanly and returns the dump.</summary>
    private async Task<IReadOnlyList<string>> WriteThenDumpAsync(int writes)
    {
        await using var server = await _dir.StartAsync(SnapshotEvery50);
        await using var c = await WireClient.ConnectAsync(server.ClientEndPoint.Port);
        await c.CreateAsync("/snap", "");
        for (int i = 1; i < writes; i++)
        {
            if (i % 2 == 1) await c.CreateAsync($"/snap/n{i / 2}", $"d{i}");
            else await c.SetAsync($"/snap/n{(i - 1) / 2}", $"d{i}", version: 0);
        }
        return await c.DumpAsync();
    }

    private static ConnectRequest Connect(int timeoutMs, long sessionId = 0, byte[]? password = null) =>
        new(0, 0, timeoutMs, sessionId, password ?? new byte[16], false);

    private static async Task<WireClient> TryConnectAsync(int port, ConnectRequest request)
    {
        try
        {
            return await WireClient.ConnectAsync(port, request);
        }
        catch (IOException)
        {
            return await WireClient.ConnectAsync(port, request, expectReply: false); // closed without a reply: refused
        }
    }

    /// <summary>Reads frames until the watch event arrives, sending a ping whenever <paramref name="pingEvery"/>
    /// passes without one (a heartbeat, as a real client sends); bounded by <see cref="Bound"/>.</summary>
    private static async Task<WatcherEvent> WaitForEventWhilePingingAsync(WireClient c, EventType type, string path, TimeSpan pingEvery)
    {
        using var deadline = new CancellationTokenSource(Bound);
        var read = c.ReadReplyAsync();
        while (true)
        {
            if (await Task.WhenAny(read, Task.Delay(pingEvery, deadline.Token)) != read)
            {
                Assert.False(deadline.IsCancellationRequested, $"no {type} event for {path} within {Bound.TotalSeconds} s");
                await c.SendAsync(OpCode.Ping, null);
                continue;
            }

            var reply = await read ?? throw new IOException("the server closed the connection of the kept session");
            if (reply.Header.Xid == Xids.Notification && WireCalls.ReadEvent(reply.Body) is var e && e.Type == type && e.Path == path)
                return e;
            Assert.True(reply.Header.Xid == Xids.Ping || reply.Header.Xid == Xids.Notification, $"unexpected reply xid {reply.Header.Xid}");
            read = c.ReadReplyAsync();
        }
    }
}

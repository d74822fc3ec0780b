using Coord.Client;
using Coord.Protocol;
using Coord.Interop.Specs.Harness;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs;

/// <summary>Connection loss, reconnection with the session kept, watch replay, expiry and watch streams,
/// against Apache ZooKeeper and against Coord. Connections are cut with a <see cref="TcpProxy"/>.</summary>
public sealed class SessionSpecs(ServersFixture servers) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_dropped_connection_reconnects_and_keeps_the_session(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options());
        var changes = new List<ConnectionStateChange>();
        client.StateChanged += (_, change) =>
        {
            lock (changes) changes.Add(change);
        };
        await using var direct = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(client, "reconnect");
        var eph = await client.CreateAsync($"{root}/eph", null, mode: CreateMode.Ephemeral);
        long session = client.SessionId;

        var disconnected = WaitForStateAsync(client, ConnectionState.Disconnected);
        proxy.Pause();
        proxy.DropAll();
        await disconnected;

        // Issued during the outage: waits for the reconnection, then completes.
        var during = client.SetDataAsync(eph, Bytes("during"));
        var reconnected = WaitForStateAsync(client, ConnectionState.Connected);
        Assert.False(during.IsCompleted);
        proxy.Resume();
        await reconnected;
        Assert.Equal(1, (await during.WaitAsync(Wait)).Version);

        Assert.Equal(session, client.SessionId);
        var stat = await direct.ExistsAsync(eph);
        Assert.NotNull(stat);
        Assert.Equal(session, stat.Value.EphemeralOwner);
        Assert.Equal("during", System.Text.Encoding.UTF8.GetString((await direct.GetDataAsync(eph)).Data));
        // Exactly the outage and the recovery; the first connection (ConnectAsync's own) is not reported late.
        // (WaitForStateAsync's handlers were attached after this one, so it has seen both changes by now.)
        lock (changes)
        {
            Assert.Equal(
                [new(ConnectionState.Connected, ConnectionState.Disconnected), new(ConnectionState.Disconnected, ConnectionState.Connected)],
                changes);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Watches_are_re_registered_and_a_change_made_while_disconnected_fires(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options());
        await using var direct = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(client, "rewatch");
        await client.CreateAsync($"{root}/data", null);
        await client.AddAuthAsync("digest", "bob:pw");
        await client.CreateAsync($"{root}/bobs", null, Acl.CreatorAllAcl);

        var dataFired = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var createdFired = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var recursive = System.Threading.Channels.Channel.CreateUnbounded<WatchedEvent>();
        await client.GetDataAsync($"{root}/data", e => dataFired.TrySetResult(e));
        Assert.Null(await client.ExistsAsync($"{root}/later", e => createdFired.TrySetResult(e)));
        await client.AddWatchAsync(root, AddWatchMode.PersistentRecursive, e => recursive.Writer.TryWrite(e));

        var disconnected = WaitForStateAsync(client, ConnectionState.Disconnected);
        proxy.Pause();
        proxy.DropAll();
        await disconnected;
        await direct.SetDataAsync($"{root}/data", Bytes("changed"));
        await direct.CreateAsync($"{root}/later", null);
        Assert.False(dataFired.Task.IsCompleted);
        proxy.Resume();

        Assert.Equal(new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, $"{root}/data"), await dataFired.Task.WaitAsync(Wait));
        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, $"{root}/later"), await createdFired.Task.WaitAsync(Wait));
        // The persistent recursive watch was replayed with setWatches2 and still delivers new events.
        await direct.CreateAsync($"{root}/after", null);
        var seen = new List<WatchedEvent>();
        while (!seen.Contains(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, $"{root}/after")))
            seen.Add(await recursive.Reader.ReadAsync().AsTask().WaitAsync(Wait));
        // Auth was re-sent: the creator-only node is still readable.
        await client.GetDataAsync($"{root}/bobs");
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task An_expired_session_loses_its_ephemerals_and_fails_every_call(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options(sessionMs: 1500));
        await using var direct = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(client, "expiry");
        var eph = await client.CreateAsync($"{root}/eph", null, mode: CreateMode.Ephemeral);
        var watcherSaw = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.GetDataAsync(eph, e => watcherSaw.TrySetResult(e));

        var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.NotNull(await direct.ExistsAsync(eph, e =>
        {
            if (e.Type == EventType.NodeDeleted) gone.TrySetResult();
        }));
        var expired = WaitForStateAsync(client, ConnectionState.Expired);
        proxy.Pause();
        proxy.DropAll();
        var waiting = client.GetDataAsync(root);
        await gone.Task.WaitAsync(Wait); // the server expired the session and deleted its ephemeral
        proxy.Resume();
        await expired;

        Assert.Equal(ConnectionState.Expired, client.State);
        await Assert.ThrowsAsync<SessionExpiredException>(() => waiting.WaitAsync(Wait));
        await Assert.ThrowsAsync<SessionExpiredException>(() => client.ExistsAsync(root));
        Assert.Equal(KeeperState.Expired, (await watcherSaw.Task.WaitAsync(Wait)).State);
        Assert.Null(await direct.ExistsAsync(eph));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_persistent_recursive_watch_streams_every_event_under_a_path(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var client = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(client, "stream");
        using var stop = new CancellationTokenSource(Wait);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var expected = new[]
        {
            new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, $"{root}/a"),
            new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, $"{root}/a"),
            new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, $"{root}/a/b"),
            new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, $"{root}/a/b"),
        };
        var consumer = Task.Run(async () =>
        {
            var seen = new List<WatchedEvent>();
            var stream = client.WatchAsync(root, ct: stop.Token).GetAsyncEnumerator(stop.Token);
            // The watch is added by the first MoveNextAsync; signal once it is registered on the server.
            var first = stream.MoveNextAsync();
            started.TrySetResult();
            if (await first) seen.Add(stream.Current);
            while (seen.Count < expected.Length && await stream.MoveNextAsync()) seen.Add(stream.Current);
            await stream.DisposeAsync();
            return seen;
        });
        await started.Task;
        // Make sure the addWatch reached the server before the changes: a sync issued after it completes after it.
        await client.SyncAsync(root);
        await client.CreateAsync($"{root}/a", null);
        await client.SetDataAsync($"{root}/a", Bytes("x"));
        await client.CreateAsync($"{root}/a/b", null);
        await client.DeleteAsync($"{root}/a/b");
        Assert.Equal(expected, await consumer.WaitAsync(Wait));

        // WatchDataAsync: current value first, then each new one.
        var values = client.WatchDataAsync($"{root}/a", stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await values.MoveNextAsync());
        Assert.Equal("x", System.Text.Encoding.UTF8.GetString(values.Current!.Data));
        await client.SetDataAsync($"{root}/a", Bytes("y"));
        Assert.True(await values.MoveNextAsync());
        Assert.Equal("y", System.Text.Encoding.UTF8.GetString(values.Current!.Data));
        await client.DeleteAsync($"{root}/a");
        Assert.True(await values.MoveNextAsync());
        Assert.Null(values.Current);
        await values.DisposeAsync();
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Any_host_of_the_connect_string_serves_and_a_dead_one_is_skipped(string kind)
    {
        var server = await servers.GetAsync(kind);
        // A port nobody listens on: bind, read the port, close.
        var dead = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        dead.Start();
        int deadPort = ((System.Net.IPEndPoint)dead.LocalEndpoint).Port;
        dead.Stop();
        for (int i = 0; i < 4; i++)
        {
            await using var client = await CoordClient.ConnectAsync($"127.0.0.1:{deadPort},localhost:{server.Port}", Options());
            Assert.Equal(ConnectionState.Connected, client.State);
            await client.ExistsAsync("/");
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_call_waiting_for_reconnection_can_be_cancelled(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options());
        string root = await RootAsync(client, "cancelwait");
        var disconnected = WaitForStateAsync(client, ConnectionState.Disconnected);
        proxy.Pause();
        proxy.DropAll();
        await disconnected;
        using var cts = new CancellationTokenSource();
        var call = client.GetDataAsync(root, ct: cts.Token);
        var kept = client.GetDataAsync(root);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        proxy.Resume();
        Assert.Equal(0, (await kept.WaitAsync(Wait)).Stat.Version);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Dispose_closes_the_session_and_deletes_its_ephemerals_at_once(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var direct = await CoordClient.ConnectAsync(server.ConnectString, Options());
        var client = await CoordClient.ConnectAsync(server.ConnectString + "/", Options());
        string root = await RootAsync(client, "close");
        var eph = await client.CreateAsync($"{root}/eph", null, mode: CreateMode.Ephemeral);
        var closed = WaitForStateAsync(client, ConnectionState.Closed);
        await client.DisposeAsync();
        await closed;
        Assert.Null(await direct.ExistsAsync(eph));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ExistsAsync(root));
    }
}

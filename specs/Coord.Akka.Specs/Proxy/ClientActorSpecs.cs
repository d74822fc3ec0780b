using System.Text;
using Akka.Actor;
using Coord.Akka.Proxy;
using Coord.Client;
using Coord.Interop.Specs.Harness;
using Coord.Protocol;

namespace Coord.Akka.Specs.Proxy;

/// <summary>The client actor against a real <c>coord serve</c>: every request type, watch delivery to a subscriber
/// actor, session state messages, expiry (reconnect and stop policies), and stopping the actor closing the session.</summary>
[Collection(CoordCollection.Name)]
public sealed class ClientActorSpecs(CoordServerFixture fixture) : global::Akka.TestKit.Xunit2.TestKit(Specs.Config(fixture.ConnectString))
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private IActorRef Start(string? connectString = null, ExpiryPolicy onExpiry = ExpiryPolicy.Reconnect) =>
        Sys.ActorOf(CoordClientActor.Props(CoordAkkaSettings.Create(Sys) with
        {
            ConnectString = connectString ?? fixture.ConnectString,
            OnExpiry = onExpiry,
        }));

    [Fact]
    public async Task Every_request_type_is_answered_to_its_sender()
    {
        var client = Start();
        var root = "/" + Specs.Unique("proxy");

        var created = await client.Ask<Created>(new Create(root, Bytes("v0")), Specs.Wait);
        Assert.Equal(root, created.Path);
        Assert.Equal(0, created.Stat.Version);
        var seq = await client.Ask<Created>(new Create(root + "/e-", null, CreateMode.EphemeralSequential), Specs.Wait);
        Assert.Equal(root + "/e-0000000000", seq.Path);
        Assert.NotEqual(0, seq.Stat.EphemeralOwner);

        var read = await client.Ask<DataRead>(new GetData(root), Specs.Wait);
        Assert.Equal("v0", Encoding.UTF8.GetString(read.Data));
        var written = await client.Ask<DataWritten>(new SetData(root, Bytes("v1"), Version: 0), Specs.Wait);
        Assert.Equal(1, written.Stat.Version);
        Assert.Equal(1, (await client.Ask<ExistsResult>(new Exists(root), Specs.Wait)).Stat?.Version);
        Assert.Null((await client.Ask<ExistsResult>(new Exists(root + "/none"), Specs.Wait)).Stat);
        var children = await client.Ask<ChildrenRead>(new GetChildren(root), Specs.Wait);
        Assert.Equal(["e-0000000000"], children.Children);

        var multi = await client.Ask<MultiDone>(new Multi([
            new MultiOp.CheckOp(root, 1),
            new MultiOp.CreateOp(root + "/m", Bytes("m")),
            new MultiOp.SetDataOp(root + "/m", Bytes("m2")),
            new MultiOp.DeleteOp(root + "/e-0000000000"),
        ]), Specs.Wait);
        Assert.Equal(4, multi.Results.Count);
        Assert.IsType<OpResult.Create>(multi.Results[1]);
        await client.Ask<Synced>(new Sync(root), Specs.Wait);
        await client.Ask<Deleted>(new Delete(root + "/m", Version: 1), Specs.Wait);

        // Errors come back as Status.Failure, so Ask throws the client's exception for the error code.
        await Assert.ThrowsAsync<NoNodeException>(() => client.Ask<DataRead>(new GetData(root + "/none"), Specs.Wait));
        await Assert.ThrowsAsync<BadVersionException>(() => client.Ask<DataWritten>(new SetData(root, null, Version: 7), Specs.Wait));
        await Assert.ThrowsAsync<NodeExistsException>(() => client.Ask<Created>(new Create(root, null), Specs.Wait));
        var failed = await Assert.ThrowsAsync<TransactionFailedException>(() =>
            client.Ask<MultiDone>(new Multi([new MultiOp.CreateOp(root + "/x", null), new MultiOp.CheckOp(root, 99)]), Specs.Wait));
        Assert.Equal(1, failed.FailedIndex);
        Assert.Null((await client.Ask<ExistsResult>(new Exists(root + "/x"), Specs.Wait)).Stat); // all or nothing

        // Tell works too: the reply goes to the sender.
        client.Tell(new Delete(root), TestActor);
        ExpectMsg<Deleted>(d => d.Path == root);
    }

    [Fact]
    public async Task Watch_events_are_delivered_to_the_watcher_actor()
    {
        var client = Start();
        var root = "/" + Specs.Unique("watch");
        await client.Ask<Created>(new Create(root, null), Specs.Wait);
        var watcher = CreateTestProbe();

        await client.Ask<DataRead>(new GetData(root, watcher), Specs.Wait);
        await client.Ask<DataWritten>(new SetData(root, Bytes("x")), Specs.Wait);
        watcher.ExpectMsg(new WatchEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, root));
        await client.Ask<DataWritten>(new SetData(root, Bytes("y")), Specs.Wait);
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // one-shot: re-arm to see the next one

        await client.Ask<ExistsResult>(new Exists(root + "/a", watcher), Specs.Wait);
        await client.Ask<ChildrenRead>(new GetChildren(root, watcher), Specs.Wait);
        await client.Ask<Created>(new Create(root + "/a", null), Specs.Wait);
        var events = new[] { watcher.ExpectMsg<WatchEvent>(), watcher.ExpectMsg<WatchEvent>() };
        Assert.Contains(new WatchEvent(EventType.NodeCreated, KeeperState.SyncConnected, root + "/a"), events);
        Assert.Contains(new WatchEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, root), events);

        var subscriber = CreateTestProbe();
        await client.Ask<WatchAdded>(new AddWatch(root, AddWatchMode.PersistentRecursive, subscriber), Specs.Wait);
        await client.Ask<DataWritten>(new SetData(root + "/a", Bytes("1")), Specs.Wait);
        await client.Ask<Deleted>(new Delete(root + "/a"), Specs.Wait);
        subscriber.ExpectMsg(new WatchEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, root + "/a"));
        subscriber.ExpectMsg(new WatchEvent(EventType.NodeDeleted, KeeperState.SyncConnected, root + "/a"));
        await client.Ask<WatchesRemoved>(new RemoveWatches(root, WatcherType.PersistentRecursive), Specs.Wait);
        subscriber.ExpectMsg<WatchEvent>(e => e.Path == root && e.Type == EventType.PersistentWatchRemoved);
        await client.Ask<Created>(new Create(root + "/b", null), Specs.Wait);
        await client.Ask<Synced>(new Sync(root), Specs.Wait);
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Subscribers_hear_disconnect_reconnect_expiry_and_the_new_session()
    {
        await using var proxy = new TcpProxy(fixture.Server.Host, fixture.Server.Port);
        await using var observer = await Specs.ConnectAsync(fixture.ConnectString);
        var client = Start(proxy.ConnectString);
        var session = CreateTestProbe();
        client.Tell(new SubscribeSession(session));
        var first = session.ExpectMsg<SessionOpened>(Specs.Wait);
        var node = "/" + Specs.Unique("mine");
        await client.Ask<Created>(new Create(node, null, CreateMode.Ephemeral), Specs.Wait);

        // A short cut: disconnected, then connected again with the same session.
        proxy.DropAll();
        session.ExpectMsg(new SessionStateChanged(first.SessionId, ConnectionState.Connected, ConnectionState.Disconnected), Specs.Wait);
        session.ExpectMsg(new SessionStateChanged(first.SessionId, ConnectionState.Disconnected, ConnectionState.Connected), Specs.Wait);

        // A long cut: the server expires the session (its ephemeral goes), then the actor hears it and opens a new one.
        var expired = Specs.WaitDeletedAsync(observer, node, Specs.Wait);
        proxy.Pause();
        proxy.DropAll();
        session.ExpectMsg(new SessionStateChanged(first.SessionId, ConnectionState.Connected, ConnectionState.Disconnected), Specs.Wait);
        await expired;
        proxy.Resume();
        session.ExpectMsg(new SessionStateChanged(first.SessionId, ConnectionState.Disconnected, ConnectionState.Expired), Specs.Wait);
        var second = session.ExpectMsg<SessionOpened>(Specs.Wait);
        Assert.NotEqual(first.SessionId, second.SessionId);

        var again = await client.Ask<Created>(new Create(node, null, CreateMode.Ephemeral), Specs.Wait);
        Assert.Equal(second.SessionId, again.Stat.EphemeralOwner);
    }

    [Fact]
    public async Task With_on_expiry_stop_the_actor_stops_when_its_session_expires()
    {
        await using var proxy = new TcpProxy(fixture.Server.Host, fixture.Server.Port);
        await using var observer = await Specs.ConnectAsync(fixture.ConnectString);
        var client = Start(proxy.ConnectString, ExpiryPolicy.Stop);
        Watch(client);
        var node = "/" + Specs.Unique("mine");
        await client.Ask<Created>(new Create(node, null, CreateMode.Ephemeral), Specs.Wait);

        var expired = Specs.WaitDeletedAsync(observer, node, Specs.Wait);
        proxy.Pause();
        proxy.DropAll();
        await expired;
        proxy.Resume();
        ExpectTerminated(client, Specs.Wait);
    }

    [Fact]
    public async Task Stopping_the_actor_closes_its_session()
    {
        await using var observer = await Specs.ConnectAsync(fixture.ConnectString);
        var client = Start();
        var node = "/" + Specs.Unique("mine");
        await client.Ask<Created>(new Create(node, null, CreateMode.Ephemeral), Specs.Wait);
        var gone = Specs.WaitDeletedAsync(observer, node, Specs.Wait);
        var stoppedAt = Specs.NowMs;
        Watch(client);
        Sys.Stop(client);
        ExpectTerminated(client);
        await gone;
        Assert.True(Specs.NowMs - stoppedAt < Specs.SessionMs / 2, "the session was closed, not left to expire");
    }

    [Fact]
    public async Task The_extension_gives_the_system_one_shared_client_actor()
    {
        var shared = CoordAkka.Get(Sys).Client;
        Assert.Same(shared, CoordAkka.Get(Sys).Client);
        Assert.Equal("/system/coord-client", shared.Path.ToStringWithoutAddress());
        var root = "/" + Specs.Unique("shared");
        Assert.Equal(root, (await shared.Ask<Created>(new Create(root, null), Specs.Wait)).Path);
    }
}

using Coord.Client;
using Coord.Interop.Specs.Harness;
using Coord.Protocol;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs;

/// <summary>
/// <see cref="CoordClientOptions.WireObserver"/> against both servers: it sees a watch notification and the reply that
/// follows it on the wire in that order, each reply before its call's task completes and the notification before the
/// watch callback runs — the order a history recorder needs.
/// </summary>
public sealed class WireObserverSpecs(ServersFixture servers) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    [Theory, MemberData(nameof(Kinds))]
    public async Task The_observer_sees_a_notification_before_the_reply_that_follows_it(string kind)
    {
        var frames = new List<WireFrame>();
        var options = Options() with { WireObserver = f => { lock (frames) frames.Add(f); } };
        string connect = (await servers.GetAsync(kind)).ConnectString;
        await using var watcher = await CoordClient.ConnectAsync(connect, options);
        await using var writer = await CoordClient.ConnectAsync(connect, Options());
        string root = await RootAsync(writer, "wire");
        string key = $"{root}/k";
        await writer.CreateAsync(key, Bytes("v0"));

        int framesAtCallback = -1;
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await watcher.GetDataAsync(key, watcher: _ =>
        {
            lock (frames) framesAtCallback = frames.Count;
            fired.TrySetResult();
        });
        int readWatched;
        lock (frames) readWatched = frames.FindLastIndex(f => f.Op == OpCode.GetData);
        Assert.True(readWatched >= 0, "the reply to the watching getData was seen before its task completed");

        var set = await writer.SetDataAsync(key, Bytes("v1"));
        await watcher.SyncAsync(key);
        var (_, stat) = await watcher.GetDataAsync(key);
        Assert.Equal(set.Version, stat.Version);
        WireFrame[] seen;
        lock (frames) seen = [.. frames];

        // The read showing the new version was reported before GetDataAsync returned, and the event before it.
        int reply = Array.FindLastIndex(seen, f => f is { Kind: WireFrameKind.Reply, Op: OpCode.GetData, Awaited: true });
        int notification = Array.FindIndex(seen, f => f is { Kind: WireFrameKind.Notification, Event.Type: EventType.NodeDataChanged } && f.Event.Path == key);
        Assert.True(reply > readWatched, $"the second getData's reply was not reported before the call returned: {string.Join(", ", seen)}");
        Assert.True(notification > readWatched && notification < reply,
            $"expected the NodeDataChanged notification between the two getData replies: {string.Join(", ", seen)}");
        Assert.Equal(-1, seen[notification].Xid);
        Assert.Equal(KeeperState.SyncConnected, seen[notification].Event!.State);
        // Coord sends the zxid of the change in the notification header; Apache ZooKeeper 3.8 sends -1.
        Assert.Equal(kind == "coord" ? set.Mzxid : -1, seen[notification].Zxid);
        Assert.True(seen[reply].Zxid >= set.Mzxid, "a read reply after the change carries a zxid at least the change's");
        var xids = seen.Where(f => f.Kind == WireFrameKind.Reply && f.Xid > 0).Select(f => f.Xid).ToArray();
        Assert.Equal(xids.Order(), xids);

        await fired.Task.WaitAsync(Wait);
        Assert.True(framesAtCallback > notification, "the observer saw the notification before the callback ran");
    }
}

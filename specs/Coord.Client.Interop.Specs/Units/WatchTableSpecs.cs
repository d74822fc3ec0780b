using Coord.Protocol;
using Coord.Client.Watches;

namespace Coord.Client.Interop.Specs.Units;

/// <summary>Which watchers a notification fires, as ZooKeeper's client watch manager decides it.</summary>
public sealed class WatchTableSpecs
{
    private static readonly Watcher Data = new(_ => { }), Exist = new(_ => { }), Child = new(_ => { }),
        Persistent = new(_ => { }), Recursive = new(_ => { });

    private static WatchTable Table()
    {
        var t = new WatchTable();
        t.Add(WatchKind.Data, "/a/b", Data);
        t.Add(WatchKind.Exist, "/a/b", Exist);
        t.Add(WatchKind.Child, "/a/b", Child);
        t.Add(WatchKind.Persistent, "/a/b", Persistent);
        t.Add(WatchKind.PersistentRecursive, "/a", Recursive);
        return t;
    }

    [Fact]
    public void One_shot_watches_fire_once_persistent_ones_stay()
    {
        var t = Table();
        Assert.Equal([Data, Exist, Persistent, Recursive], t.Fire(EventType.NodeDataChanged, "/a/b").OrderBy(Order));
        Assert.Equal([Persistent, Recursive], t.Fire(EventType.NodeDataChanged, "/a/b").OrderBy(Order));
        Assert.Equal([Child, Persistent], t.Fire(EventType.NodeChildrenChanged, "/a/b").OrderBy(Order));
        Assert.Equal([Recursive], t.Fire(EventType.NodeCreated, "/a/c/d"));
        Assert.Empty(t.Fire(EventType.NodeCreated, "/ab"));
    }

    [Fact]
    public void Delete_fires_data_exist_and_child_watches()
    {
        var t = Table();
        Assert.Equal([Data, Exist, Child, Persistent, Recursive], t.Fire(EventType.NodeDeleted, "/a/b").OrderBy(Order));
        Assert.Empty(t.Paths(WatchKind.Data));
        Assert.Equal(["/a/b"], t.Paths(WatchKind.Persistent));
    }

    private static int Order(Watcher w) => Array.IndexOf([Data, Exist, Child, Persistent, Recursive], w);
}

using Coord.Actors.Watches;
using Coord.Protocol;

namespace Coord.Actors.Specs.Watches;

public sealed class WatchTableSpecs
{
    private static List<WatchDelivery> Fire(WatchTable t, string path, EventType type)
    {
        var output = new List<WatchDelivery>();
        t.Fire(path, type, output);
        return output;
    }

    [Fact]
    public void A_data_watch_fires_once_on_change_and_is_then_gone()
    {
        var t = new WatchTable();
        t.Add("/a", 1, WatchBits.Data);
        Assert.Equal([new WatchDelivery(1, EventType.NodeDataChanged, "/a")], Fire(t, "/a", EventType.NodeDataChanged));
        Assert.Empty(Fire(t, "/a", EventType.NodeDataChanged));
        Assert.Equal(0, t.Count);
    }

    [Fact]
    public void Identical_registrations_fire_once()
    {
        var t = new WatchTable();
        t.Add("/a", 1, WatchBits.Data);
        t.Add("/a", 1, WatchBits.Data);
        Assert.Single(Fire(t, "/a", EventType.NodeCreated));
    }

    [Fact]
    public void Delete_fires_data_and_child_watches_of_the_node_as_one_event_per_watcher()
    {
        var t = new WatchTable();
        t.Add("/a", 1, WatchBits.Data | WatchBits.Child);
        t.Add("/a", 2, WatchBits.Child);
        var fired = Fire(t, "/a", EventType.NodeDeleted);
        Assert.Equal(2, fired.Count);
        Assert.All(fired, d => Assert.Equal(EventType.NodeDeleted, d.Type));
        Assert.Equal(0, t.Count);
    }

    [Fact]
    public void Child_change_fires_child_watches_only()
    {
        var t = new WatchTable();
        t.Add("/p", 1, WatchBits.Data);
        t.Add("/p", 2, WatchBits.Child);
        Assert.Equal([new WatchDelivery(2, EventType.NodeChildrenChanged, "/p")], Fire(t, "/p", EventType.NodeChildrenChanged));
        Assert.True(t.Has("/p", 1, WatchBits.Data));
    }

    [Fact]
    public void A_persistent_watch_fires_data_and_child_events_repeatedly()
    {
        var t = new WatchTable();
        t.Add("/p", 1, WatchBits.Persistent);
        Assert.Single(Fire(t, "/p", EventType.NodeDataChanged));
        Assert.Single(Fire(t, "/p", EventType.NodeChildrenChanged));
        Assert.Single(Fire(t, "/p", EventType.NodeDeleted));
        Assert.Single(Fire(t, "/p", EventType.NodeCreated));
        Assert.True(t.Has("/p", 1, WatchBits.Persistent));
    }

    [Fact]
    public void A_standard_and_a_persistent_watch_coexist_and_firing_consumes_only_the_standard_one()
    {
        var t = new WatchTable();
        t.Add("/p", 1, WatchBits.Persistent | WatchBits.Data);
        Assert.Single(Fire(t, "/p", EventType.NodeDataChanged));
        Assert.False(t.Has("/p", 1, WatchBits.Data));
        Assert.True(t.Has("/p", 1, WatchBits.Persistent));
    }

    [Fact]
    public void A_recursive_watch_sees_descendants_but_never_child_events()
    {
        var t = new WatchTable();
        t.Add("/r", 7, WatchBits.Recursive);
        Assert.Equal([new WatchDelivery(7, EventType.NodeCreated, "/r/a/b")], Fire(t, "/r/a/b", EventType.NodeCreated));
        Assert.Equal([new WatchDelivery(7, EventType.NodeDataChanged, "/r")], Fire(t, "/r", EventType.NodeDataChanged));
        Assert.Empty(Fire(t, "/r", EventType.NodeChildrenChanged));
        Assert.Empty(Fire(t, "/rx", EventType.NodeCreated));
        Assert.Single(Fire(t, "/r/a", EventType.NodeDeleted));
    }

    [Fact]
    public void A_recursive_watch_on_root_sees_everything_once()
    {
        var t = new WatchTable();
        t.Add("/", 1, WatchBits.Recursive);
        t.Add("/a", 1, WatchBits.Recursive);
        Assert.Single(Fire(t, "/a/b", EventType.NodeCreated));
    }

    [Fact]
    public void Remove_reports_whether_anything_matched()
    {
        var t = new WatchTable();
        t.Add("/a", 1, WatchBits.Data | WatchBits.Child);
        Assert.False(t.Remove("/a", 1, WatchBits.Persistent));
        Assert.False(t.Remove("/a", 2, WatchBits.Data));
        Assert.True(t.Remove("/a", 1, WatchBits.Child));
        Assert.True(t.Has("/a", 1, WatchBits.Data));
        Assert.Equal(1, t.Count);
    }

    [Fact]
    public void RemoveWatcher_drops_every_registration_of_that_watcher_only()
    {
        var t = new WatchTable();
        t.Add("/a", 1, WatchBits.Data);
        t.Add("/b", 1, WatchBits.Recursive);
        t.Add("/a", 2, WatchBits.Data);
        t.RemoveWatcher(1);
        Assert.Equal(1, t.Count);
        Assert.Equal(1, t.WatcherCount);
        Assert.Equal([new WatchDelivery(2, EventType.NodeDataChanged, "/a")], Fire(t, "/a", EventType.NodeDataChanged));
        Assert.Empty(Fire(t, "/b/c", EventType.NodeCreated));
    }

    [Fact]
    public void Reports_list_data_watches_by_watcher_and_by_path_as_ZooKeeper_does_not_child_only_ones()
    {
        var t = new WatchTable();
        t.Add("/b", 1, WatchBits.Data);
        t.Add("/a", 1, WatchBits.Child);
        t.Add("/a", 2, WatchBits.Data);
        t.Add("/c", 3, WatchBits.Child);
        t.Add("/p", 4, WatchBits.Persistent);
        t.Add("/r", 4, WatchBits.Recursive);
        Assert.Equal(["/b"], t.PathsOf(1));
        Assert.Empty(t.PathsOf(3));
        Assert.Equal(["/p", "/r"], t.PathsOf(4));
        Assert.Equal([1L, 2L, 4L], t.Watchers());
        var byPath = t.ByPath().ToList();
        Assert.Equal(["/a", "/b", "/p", "/r"], byPath.Select(p => p.Path));
        Assert.Equal([2L], byPath[0].Watchers);
        // mntr's zk_watch_count: ZooKeeper's data-watch manager plus its child-watch manager (a persistent watch is in both).
        Assert.Equal(7, t.Count);
        Assert.Equal(5, t.PathCount);
    }
}

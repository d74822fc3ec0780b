using Coord.Actors.Tree;

namespace Coord.Actors.Specs.Tree;

public sealed class JavaHashOrderSpecs
{
    [Fact]
    public void String_hash_is_javas()
    {
        Assert.Equal(0, JavaHashOrder.StringHash(""));
        Assert.Equal(97, JavaHashOrder.StringHash("a"));
        Assert.Equal(-1414033946, JavaHashOrder.StringHash("/zookeeper/quota")); // printed by Java 17 for "/zookeeper/quota".hashCode()
    }

    [Fact]
    public void A_closing_sessions_ephemerals_go_in_the_order_Apache_ZooKeeper_deletes_them()
    {
        // Observed on Debian's ZooKeeper 3.8.0: a session created these ephemerals in this order under /g and
        // closed; a watcher of each saw NodeDeleted in the order below. Coord matched it against the real server.
        string[] created = ["m1", "m2", "zeta", "alpha", "q0000000001", "x", "m10"];
        var order = JavaHashOrder.HashSetCloneOrder(created.Select(n => "/g/" + n).ToList(), created.Length, []);
        Assert.Equal(["/g/alpha", "/g/m10", "/g/x", "/g/zeta", "/g/m2", "/g/q0000000001", "/g/m1"], order);
    }

    [Fact]
    public void The_clone_is_sized_for_what_is_left_and_the_set_for_the_most_it_ever_held()
    {
        // Observed on ZooKeeper 3.8.0 (found by the differential spec): a clone of a 4-entry set has 8 bins, not
        // 16; a session that held 20 ephemerals and deleted 17 still has a 32-bin set, its clone 8 bins.
        Assert.Equal(["/g/zeta", "/g/alpha", "/g/m2", "/g/m1"],
            JavaHashOrder.HashSetCloneOrder(["/g/m1", "/g/m2", "/g/zeta", "/g/alpha"], 4, []));
        Assert.Equal(["/g/c1", "/g/c0", "/g/c2"], JavaHashOrder.HashSetCloneOrder(["/g/c0", "/g/c1", "/g/c2"], 20, []));
    }

    [Theory]
    [InlineData(0, 16, 1)]
    [InlineData(1, 16, 2)]
    [InlineData(4, 16, 8)]
    [InlineData(6, 16, 16)]
    [InlineData(12, 16, 32)]
    [InlineData(13, 32, 32)]
    [InlineData(24, 32, 64)]
    [InlineData(25, 64, 64)]
    public void Capacities_follow_javas_hash_map(int count, int grown, int clone)
    {
        Assert.Equal(grown, JavaHashOrder.GrownCapacity(count));
        Assert.Equal(clone, JavaHashOrder.CloneCapacity(count));
    }
}

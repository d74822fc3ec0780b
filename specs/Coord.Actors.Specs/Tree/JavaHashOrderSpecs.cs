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
        var order = JavaHashOrder.HashSetCopyOrder(created.Select(n => "/g/" + n).ToList());
        Assert.Equal(["/g/alpha", "/g/m10", "/g/x", "/g/zeta", "/g/m2", "/g/q0000000001", "/g/m1"], order);
    }

    [Theory]
    [InlineData(0, 16, 16)]
    [InlineData(12, 16, 32)]
    [InlineData(13, 32, 32)]
    [InlineData(24, 32, 64)]
    [InlineData(25, 64, 64)]
    public void Capacities_follow_javas_hash_map(int count, int grown, int copy)
    {
        Assert.Equal(grown, JavaHashOrder.GrownCapacity(count));
        Assert.Equal(copy, JavaHashOrder.CopyCapacity(count));
    }
}

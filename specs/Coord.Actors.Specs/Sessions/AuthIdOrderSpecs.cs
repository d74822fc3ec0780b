using Coord.Actors.Sessions;
using Coord.Protocol;

namespace Coord.Actors.Specs.Sessions;

public sealed class AuthIdOrderSpecs
{
    [Fact]
    public void Java_hash_of_an_id_matches_ZooKeepers_Id_hashCode()
    {
        // 17·37² + 37·"world".hashCode() + "anyone".hashCode(), with Java's int overflow.
        int world = unchecked(((((0 * 31 + 'w') * 31 + 'o') * 31 + 'r') * 31 + 'l') * 31 + 'd');
        int anyone = "anyone".Aggregate(0, (h, c) => unchecked(31 * h + c));
        Assert.Equal(unchecked(37 * (37 * 17 + world) + anyone), AuthIdOrder.JavaHash(new Id("world", "anyone")));
    }

    [Fact]
    public void Ids_come_out_in_the_order_Apache_ZooKeeper_3_8_expands_auth_acls()
    {
        // Observed against Debian's ZooKeeper 3.8.0 (differential spec): a session authenticated as u1 then u2
        // creating with auth: gets the ACL [u2, u1].
        var u1 = new Id("digest", "u1:fpT/y03U+EjItKZOSLGvjnJlyng=");
        var u2 = new Id("digest", "u2:o9NxcCGDPOlcV7JVhmKHOf5ctVE=");
        var ordered = AuthIdOrder.Arrange([new Id("ip", "127.0.0.1"), u1, u2]).Where(i => i.Scheme == "digest").ToList();
        Assert.Equal([u2, u1], ordered);
    }

    [Fact]
    public void Arrangement_does_not_depend_on_insertion_order_across_bins()
    {
        var ids = Enumerable.Range(0, 10).Select(i => new Id("digest", $"user{i}:x")).ToList();
        var forward = AuthIdOrder.Arrange(ids);
        var backward = AuthIdOrder.Arrange(Enumerable.Reverse(ids));
        Assert.Equal(forward.Select(AuthIdOrder.Bin), backward.Select(AuthIdOrder.Bin));
        Assert.Equal(forward.Select(AuthIdOrder.Bin).Order(), forward.Select(AuthIdOrder.Bin));
    }
}

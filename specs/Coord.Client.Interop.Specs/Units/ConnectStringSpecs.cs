using Coord.Client.Connection;

namespace Coord.Client.Interop.Specs.Units;

/// <summary>Connect string parsing and chroot mapping (no server needed).</summary>
public sealed class ConnectStringSpecs
{
    [Fact]
    public void Hosts_ports_and_chroot_are_parsed()
    {
        var cs = ConnectString.Parse("a:1, b ,[::1]:3/app/x/");
        Assert.Equal([new HostPort("a", 1), new HostPort("b", 2181), new HostPort("::1", 3)], cs.Hosts);
        Assert.Equal("/app/x", cs.Chroot);
        Assert.Null(ConnectString.Parse("a:1/").Chroot);
        Assert.Throws<ArgumentException>(() => ConnectString.Parse("a:99999"));
        Assert.Throws<ArgumentException>(() => ConnectString.Parse("/chroot-only"));
    }

    [Fact]
    public void Chroot_is_added_on_the_way_out_and_removed_on_the_way_in()
    {
        var cs = ConnectString.Parse("h:1/app");
        Assert.Equal("/app", cs.ToServer("/"));
        Assert.Equal("/app/a", cs.ToServer("/a"));
        Assert.Equal("/", cs.FromServer("/app"));
        Assert.Equal("/a/b", cs.FromServer("/app/a/b"));
        Assert.Equal("/apple", cs.FromServer("/apple"));
    }
}

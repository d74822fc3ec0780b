using Akka.Configuration;
using Akka.Coordination;
using Coord.Akka.Lease;

namespace Coord.Akka.Specs.Lease;

public sealed class LeaseSettingsSpecs
{
    private static CoordLeaseSettings Parse(string hocon)
    {
        var config = ConfigurationFactory.ParseString(hocon).WithFallback(CoordAkkaConfig.Default);
        var leaseConfig = config.GetConfig("coord.akka.lease");
        var common = CoordAkkaSettings.Create(config.GetConfig("coord.akka"));
        return CoordLeaseSettings.Create(LeaseSettings.Create(leaseConfig, "my-lease", "owner"), common);
    }

    [Fact]
    public void Defaults_come_from_the_reference_config()
    {
        var s = Parse("");
        Assert.Equal("127.0.0.1:2181", s.ConnectString);
        Assert.Equal("/akka/leases", s.Root);
        Assert.Equal(0.5, s.SafeFraction);
        Assert.Equal(TimeSpan.FromSeconds(10), s.SessionTimeout);
    }

    [Fact]
    public void The_lease_connect_string_falls_back_to_coord_akka()
    {
        Assert.Equal("10.0.0.1:2181", Parse("coord.akka.connect-string = \"10.0.0.1:2181\"").ConnectString);
        Assert.Equal("10.0.0.2:2181", Parse("coord.akka.lease.connect-string = \"10.0.0.2:2181\"").ConnectString);
    }

    [Theory]
    [InlineData("coord.akka.lease.safe-fraction = 0.95", "safe-fraction")]
    [InlineData("coord.akka.lease.root = \"leases\"", "root")]
    [InlineData("coord.akka.proxy.on-expiry = restart", "on-expiry")]
    [InlineData("coord.akka.connect-string = \"\"", "connect-string")]
    public void Bad_values_fail_with_a_message_naming_the_key(string hocon, string key)
    {
        var e = Assert.Throws<ConfigurationException>(() => Parse(hocon));
        Assert.Contains(key, e.Message);
    }

    [Theory]
    [InlineData("sbr-akka-sbr", "/akka/leases/sbr-akka-sbr")]
    [InlineData("sys-singleton-akka://sys/user/singleton", "/akka/leases/sys-singleton-akka%3A%2F%2Fsys%2Fuser%2Fsingleton")]
    [InlineData("..", "/akka/leases/%2E%2E")]
    public void Any_lease_name_is_one_node_name(string name, string path) => Assert.Equal(path, Parse("").NodePath(name));
}

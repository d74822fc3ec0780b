using System.Collections;
using Coord.Actors.Settings;
using Coord.Host.Config;

namespace Coord.Host.Specs.Admin;

/// <summary>coord.admin from HOCON, environment variables, the command line and a ZooKeeper zoo.cfg.</summary>
public sealed class AdminConfigSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("coord-admin-config-").FullName;
    private static readonly Dictionary<string, string?> NoOverrides = [];

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void The_defaults_are_ZooKeepers_port_8080_on_with_the_server_kept_on_127_0_0_1() =>
        Assert.Equal(new AdminSettings(Enabled: true, Host: "127.0.0.1", Port: 8080), ConfigLoader.Load(null, NoOverrides, new Hashtable()).Admin);

    [Theory]
    [InlineData("admin.enableServer=false\nadmin.serverAddress=0.0.0.0\nadmin.serverPort=9090\n")]
    [InlineData("zookeeper.admin.enableServer=false\nzookeeper.admin.serverAddress=0.0.0.0\nzookeeper.admin.serverPort=9090\n")]
    public void A_zoo_cfgs_admin_keys_carry_over_without_warnings(string keys)
    {
        var loaded = ConfigLoader.LoadDetailed(Write("zoo.cfg", "clientPort=2181\n" + keys), NoOverrides, new Hashtable());
        Assert.Equal(new AdminSettings(Enabled: false, Host: "0.0.0.0", Port: 9090), loaded.Settings.Admin);
        Assert.Empty(loaded.Warnings);
    }

    [Fact]
    public void Hocon_then_environment_then_command_line_set_the_admin_keys()
    {
        var file = Write("coord.conf", "coord.admin { enabled = false, host = \"0.0.0.0\", port = 9000 }");
        Assert.Equal(new AdminSettings(false, "0.0.0.0", 9000), ConfigLoader.Load(file, NoOverrides, new Hashtable()).Admin);
        var env = new Hashtable { ["COORD_ADMIN__PORT"] = "9001" };
        Assert.Equal(9001, ConfigLoader.Load(file, NoOverrides, env).Admin.Port);
        Assert.Equal(0, ConfigLoader.Load(file, new Dictionary<string, string?> { ["coord:admin:port"] = "0" }, env).Admin.Port);
    }

    [Theory]
    [InlineData("coord.admin.port = 70000", "coord.admin.port (70000) must be between 0 and 65535 (0 picks a free port)")]
    [InlineData("coord.admin.host = \"not a host!\"", "coord.admin.host ('not a host!') must be an IP address or host name")]
    [InlineData("coord.admin.enabled = sometimes", "coord.admin.enabled = 'sometimes'")]
    [InlineData("coord.admin.prot = 1", "unknown key coord.admin.prot")]
    public void A_bad_admin_value_is_refused_with_a_message_that_names_the_key(string hocon, string message)
    {
        var file = Write("bad.conf", hocon);
        var error = Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(file, NoOverrides, new Hashtable()));
        Assert.Contains(error.Errors, e => e.StartsWith(message, StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

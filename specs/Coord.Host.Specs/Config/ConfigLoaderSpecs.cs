using Coord.Actors.Settings;
using Coord.Host.Config;
using Microsoft.Extensions.Logging;
using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

public class ConfigLoaderSpecs
{
    private static readonly Dictionary<string, string?> NoOverrides = [];

    [Fact]
    public void Without_a_file_the_settings_are_the_reference_defaults()
    {
        var s = ConfigLoader.Load(null, NoOverrides, Env());
        Assert.Equal(CoordSettings.Default, s);
        Assert.Equal(4000, s.Session.TimeoutMsMin);
        Assert.Equal(40000, s.Session.TimeoutMsMax);
        Assert.Equal(["*"], s.FourLetterWords.Whitelist);
        Assert.Equal(LogLevel.Information, s.Logging.Level);
    }

    [Theory]
    [InlineData("COORD_CLIENT__PORT", "coord:client:port")]
    [InlineData("COORD_SESSION__TIMEOUT_MS_MIN", "coord:session:timeout-ms-min")]
    [InlineData("COORD_TICK_MS", "coord:tick-ms")]
    [InlineData("COORD_FOUR_LETTER_WORDS__WHITELIST__0", "coord:four-letter-words:whitelist:0")]
    public void Environment_variables_map_to_keys(string variable, string key)
    {
        var keys = ConfigLoader.EnvironmentKeys(Env((variable, "v"), ("PATH", "/bin"), ("OTHER_COORD_X", "y")));
        Assert.Equal(key, Assert.Single(keys).Key);
        Assert.Equal(variable, ConfigLoader.EnvironmentName(key));
    }

    [Fact]
    public void Layers_apply_in_order_reference_file_environment_command_line()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", "coord { tick-ms = 1000, client.port = 3000, client.listen-backlog = 7, data-dir = /file }");
        var env = Env(("COORD_CLIENT__PORT", "3001"), ("COORD_DATA_DIR", "/env"));
        var s = ConfigLoader.Load(file, new Dictionary<string, string?> { ["coord.data-dir"] = "/cli" }, env);
        Assert.Equal(1000, s.TickMs);
        Assert.Equal(7, s.Client.ListenBacklog);
        Assert.Equal(3001, s.Client.Port);
        Assert.Equal("/cli", s.DataDir);
        Assert.Equal(60, s.Client.ConnectionsPerIpMax);
        Assert.Equal(2000, s.Session.TimeoutMsMin);
        Assert.Equal(20000, s.Session.TimeoutMsMax);
    }

    [Fact]
    public void A_list_in_the_file_replaces_the_default_list_and_an_env_list_is_comma_separated()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", "coord.four-letter-words.whitelist = [ruok, mntr]");
        Assert.Equal(["ruok", "mntr"], ConfigLoader.Load(file, NoOverrides, Env()).FourLetterWords.Whitelist);
        var env = Env(("COORD_FOUR_LETTER_WORDS__WHITELIST", "srvr, stat"));
        Assert.Equal(["srvr", "stat"], ConfigLoader.Load(file, NoOverrides, env).FourLetterWords.Whitelist);
        var empty = dir.Write("empty.conf", "coord.four-letter-words.whitelist = []");
        var none = ConfigLoader.Load(empty, NoOverrides, Env()).FourLetterWords;
        Assert.Empty(none.Whitelist);
        Assert.False(none.IsAllowed("ruok"));
    }

    [Fact]
    public void A_missing_config_file_is_an_error_naming_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), "coord-missing-" + Guid.NewGuid() + ".conf");
        var error = Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(missing, NoOverrides, Env()));
        Assert.Contains(missing, Assert.Single(error.Errors));
    }

    [Fact]
    public void A_hocon_syntax_error_surfaces_with_file_and_position()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", "coord {\n  tick-ms = 1000\n");
        var error = Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(file, NoOverrides, Env()));
        Assert.StartsWith($"{file}:1:7: the '{{' opened here is never closed", Assert.Single(error.Errors));
    }

    [Fact]
    public void A_file_holds_coord_and_akka_side_by_side_and_the_akka_config_keeps_both()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", "coord { client.port = 3000 }\nakka { loglevel = DEBUG, actor.provider = local }");
        var loaded = ConfigLoader.LoadDetailed(file, NoOverrides, Env());
        Assert.Equal(3000, loaded.Settings.Client.Port);
        // The ActorSystem is built from this: the akka section as written, coord as the file over reference.conf.
        Assert.Equal("DEBUG", loaded.Akka.GetString("akka.loglevel"));
        Assert.Equal("local", loaded.Akka.GetString("akka.actor.provider"));
        Assert.Equal(3000, loaded.Akka.GetInt("coord.client.port"));
        Assert.Equal(2000, loaded.Akka.GetInt("coord.tick-ms"));
    }

    [Fact]
    public void Without_a_hocon_file_the_akka_config_is_reference_conf()
    {
        Assert.Equal(2181, ConfigLoader.LoadDetailed(null, NoOverrides, Env()).Akka.GetInt("coord.client.port"));
        using var dir = new TempDir();
        var zoo = ConfigLoader.LoadDetailed(dir.Write("zoo.cfg", "clientPort=2182"), NoOverrides, Env());
        Assert.Equal(2182, zoo.Settings.Client.Port);
        Assert.Equal(2000, zoo.Akka.GetInt("coord.tick-ms"));
    }

    [Fact]
    public void Unknown_keys_under_coord_are_errors_even_next_to_akka()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", "akka.loglevel = DEBUG\ncoord.tick-ms = 1000\ncoord.tik-ms = 5");
        var error = Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(file, NoOverrides, Env()));
        Assert.Equal($"unknown key coord.tik-ms (from {file}); did you mean coord.tick-ms?", Assert.Single(error.Errors));
    }

    [Theory]
    [InlineData("hocon/standalone.conf", 1, 2181, "./data")]
    [InlineData("hocon/ensemble-3/node1.conf", 1, 2181, "./data/node1")]
    [InlineData("hocon/ensemble-3/node2.conf", 2, 2182, "./data/node2")]
    [InlineData("hocon/ensemble-3/node3.conf", 3, 2183, "./data/node3")]
    public void The_shipped_configs_load(string file, int serverId, int port, string dataDir)
    {
        var s = ConfigLoader.Load(Path.Combine(RepoRoot(), file), NoOverrides, Env());
        Assert.Equal((serverId, port, dataDir), (s.ServerId, s.Client.Port, s.DataDir));
    }
}

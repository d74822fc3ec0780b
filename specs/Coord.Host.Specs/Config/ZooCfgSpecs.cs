using Coord.Host.Config;

namespace Coord.Host.Specs.Config;

public class ZooCfgSpecs
{
    private const string Sample = """
        # The number of milliseconds of each tick
        tickTime=3000
        initLimit=10
        syncLimit=5
        dataDir=/var/lib/zookeeper
        clientPort = 2182
        clientPortAddress: 0.0.0.0
        maxClientCnxns=100
        minSessionTimeout=6000
        maxSessionTimeout=-1
        4lw.commands.whitelist=ruok, mntr,\
          stat
        jute.maxbuffer=4194304
        extendedTypesEnabled=true
        server.1=zoo1:2888:3888
        autopurge.snapRetainCount=3
        """;

    [Fact]
    public void Known_keys_translate_to_coord_keys()
    {
        using var dir = new TempDir();
        var values = ZooCfg.Translate(dir.Write("zoo.cfg", Sample)).Values;
        Assert.Equal("3000", values["coord:tick-ms"]);
        Assert.Equal("/var/lib/zookeeper", values["coord:data-dir"]);
        Assert.Equal("2182", values["coord:client:port"]);
        Assert.Equal("0.0.0.0", values["coord:client:host"]);
        Assert.Equal("100", values["coord:client:connections-per-ip-max"]);
        Assert.Equal("6000", values["coord:session:timeout-ms-min"]);
        Assert.Null(values["coord:session:timeout-ms-max"]);
        Assert.Equal("ruok", values["coord:four-letter-words:whitelist:0"]);
        Assert.Equal("mntr", values["coord:four-letter-words:whitelist:1"]);
        Assert.Equal("stat", values["coord:four-letter-words:whitelist:2"]);
        Assert.Equal("4194304", values["coord:client:frame-bytes-max"]);
        Assert.Equal("true", values["coord:znode:extended-types-enabled"]);
    }

    [Fact]
    public void Unknown_and_ensemble_keys_are_warnings_with_their_line()
    {
        using var dir = new TempDir();
        var path = dir.Write("zoo.cfg", Sample);
        var warnings = ZooCfg.Translate(path).Warnings;
        Assert.Equal(4, warnings.Count);
        Assert.Contains(warnings, w => w.StartsWith($"{path}:3: 'initLimit' is an ensemble setting", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("'server.1' is an ensemble setting"));
        Assert.Contains(warnings, w => w.StartsWith($"{path}:16: unknown or unsupported zoo.cfg key 'autopurge.snapRetainCount'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_loader_reads_a_cfg_file_as_zoo_cfg_on_top_of_the_defaults()
    {
        using var dir = new TempDir();
        var loaded = ConfigLoader.LoadDetailed(dir.Write("zoo.cfg", Sample), new Dictionary<string, string?>(), Hocon.Env());
        var s = loaded.Settings;
        Assert.Equal(3000, s.TickMs);
        Assert.Equal(2182, s.Client.Port);
        Assert.Equal(6000, s.Session.TimeoutMsMin);
        Assert.Equal(60000, s.Session.TimeoutMsMax);
        Assert.Equal(["ruok", "mntr", "stat"], s.FourLetterWords.Whitelist);
        Assert.True(s.Znode.ExtendedTypesEnabled);
        Assert.Equal(512, s.Client.ListenBacklog);
        Assert.Equal(4, loaded.Warnings.Count);
    }

    [Fact]
    public void A_zoo_cfg_naming_several_members_stops_the_start()
    {
        using var dir = new TempDir();
        var path = dir.Write("zoo.cfg", "tickTime=2000\ndataDir=/var/lib/zookeeper\nclientPort=2181\n"
            + "server.1=zoo1:2888:3888\nserver.2=zoo2:2888:3888\nserver.3=zoo3:2888:3888\n");
        var error = Assert.Throws<CoordConfigException>(() => ConfigLoader.LoadDetailed(path, new Dictionary<string, string?>(), Hocon.Env()));
        var message = Assert.Single(error.Errors);
        Assert.StartsWith($"{path}: names 3 ensemble members: server.1 (line 4), server.2 (line 5), server.3 (line 6).", message);
        Assert.Contains("Coord cannot run an ensemble yet", message);
        Assert.Contains("keep only its server.N line (or none)", message);
    }

    [Fact]
    public void A_single_member_zoo_cfg_runs_standalone_with_a_warning()
    {
        using var dir = new TempDir();
        var path = dir.Write("zoo.cfg", "clientPort=2182\nserver.1=zoo1:2888:3888\nserver.1=zoo1:2888:3888\n");
        var loaded = ConfigLoader.LoadDetailed(path, new Dictionary<string, string?>(), Hocon.Env());
        Assert.Equal(2182, loaded.Settings.Client.Port);
        Assert.All(loaded.Warnings, w => Assert.Contains("'server.1' is an ensemble setting", w));
        Assert.Empty(ZooCfg.Translate(path).Errors);
    }
}

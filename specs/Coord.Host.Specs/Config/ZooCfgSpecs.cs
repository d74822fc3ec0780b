using Coord.Host.Config;

namespace Coord.Host.Specs.Config;

public class ZooCfgSpecs
{
    /// <summary>dataDir is filled in with a scratch folder: a real one may hold a myid that ZooKeeper (and Coord) read.</summary>
    private const string Sample = """
        # The number of milliseconds of each tick
        tickTime=3000
        initLimit=10
        syncLimit=5
        dataDir=DATA
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
        var values = ZooCfg.Translate(WriteSample(dir)).Values;
        Assert.Equal("3000", values["coord:tick-ms"]);
        Assert.Equal(Path.Combine(dir.Path, "data"), values["coord:data-dir"]);
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
    public void Unknown_keys_and_the_ensemble_keys_of_a_standalone_server_are_warnings_with_their_line()
    {
        using var dir = new TempDir();
        var path = WriteSample(dir);
        var warnings = ZooCfg.Translate(path).Warnings;
        Assert.Equal(4, warnings.Count);
        Assert.Contains(warnings, w => w.StartsWith($"{path}:3: 'initLimit' ignored: it is an ensemble setting and this server runs standalone", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith($"{path}:15: 'server.1' ignored: a single member runs standalone, as in ZooKeeper", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith($"{path}:16: unknown or unsupported zoo.cfg key 'autopurge.snapRetainCount'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_loader_reads_a_cfg_file_as_zoo_cfg_on_top_of_the_defaults()
    {
        using var dir = new TempDir();
        var loaded = ConfigLoader.LoadDetailed(WriteSample(dir), new Dictionary<string, string?>(), Hocon.Env());
        var s = loaded.Settings;
        Assert.Equal(3000, s.TickMs);
        Assert.Equal(2182, s.Client.Port);
        Assert.Equal(6000, s.Session.TimeoutMsMin);
        Assert.Equal(60000, s.Session.TimeoutMsMax);
        Assert.Equal(["ruok", "mntr", "stat"], s.FourLetterWords.Whitelist);
        Assert.True(s.Znode.ExtendedTypesEnabled);
        Assert.Equal(512, s.Client.ListenBacklog);
        Assert.Equal(4, loaded.Warnings.Count);
        Assert.Null(s.Ensemble);
        Assert.Equal(1, s.ServerId);
    }

    [Fact]
    public void A_single_member_zoo_cfg_runs_standalone_with_a_warning()
    {
        using var dir = new TempDir();
        var path = dir.Write("zoo.cfg", "clientPort=2182\nserver.1=zoo1:2888:3888\nserver.1=zoo1:2888:3888\n");
        var loaded = ConfigLoader.LoadDetailed(path, new Dictionary<string, string?>(), Hocon.Env());
        Assert.Equal(2182, loaded.Settings.Client.Port);
        Assert.Null(loaded.Settings.Ensemble);
        // A repeated key: the last line wins, as in java.util.Properties.
        Assert.Equal($"{path}:3: 'server.1' ignored: a single member runs standalone, as in ZooKeeper", Assert.Single(loaded.Warnings));
        Assert.Empty(ZooCfg.Translate(path).Errors);
    }

    private static string WriteSample(TempDir dir) =>
        dir.Write("zoo.cfg", Sample.Replace("dataDir=DATA", "dataDir=" + Path.Combine(dir.Path, "data"), StringComparison.Ordinal));
}

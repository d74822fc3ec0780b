using Coord.Actors.Settings;
using Coord.Host.Config;
using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

/// <summary>The ensemble lines of a zoo.cfg (server.N, initLimit, syncLimit, peerType, dataDir/myid), read as ZooKeeper 3.8 reads them.</summary>
public class ZooCfgEnsembleSpecs
{
    /// <summary>A zoo.cfg in a scratch folder whose dataDir is DATA (created; holding myid when one is given).</summary>
    private sealed class Cfg : IDisposable
    {
        private readonly TempDir _dir = new();

        public Cfg(string text, string? myid = null)
        {
            Data = Path.Combine(_dir.Path, "data");
            Directory.CreateDirectory(Data);
            if (myid is not null) System.IO.File.WriteAllText(MyId, myid);
            File = _dir.Write("zoo.cfg", text.Replace("DATA", Data, StringComparison.Ordinal));
        }

        public string Data { get; }
        public string File { get; }
        public string MyId => Path.Combine(Data, "myid");

        public LoadedConfig Load() => Hocon.Load(File);

        public string Error() => LoadError(File);

        public IReadOnlyList<string> Errors() => Assert.Throws<CoordConfigException>(Load).Errors;

        public void Dispose() => _dir.Dispose();
    }

    private const string Head = "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=DATA\nclientPort=2181\n";

    private const string ThreeServers = Head
        + "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\nserver.3=127.0.0.1:2890:3890\n";

    [Fact]
    public void A_real_three_server_zoo_cfg_with_myid_is_member_3_of_the_ensemble()
    {
        // As Debian's /etc/zookeeper/conf/zoo.cfg reads once the server lines are filled in.
        using var cfg = new Cfg("""
            # http://hadoop.apache.org/zookeeper/docs/current/zookeeperAdmin.html

            # The number of milliseconds of each tick
            tickTime=2000
            # The number of ticks that the initial
            # synchronization phase can take
            initLimit=10
            # The number of ticks that can pass between
            # sending a request and getting an acknowledgement
            syncLimit=5
            # the directory where the snapshot is stored.
            dataDir=DATA
            # the port at which the clients will connect
            clientPort=2183
            # specify all zookeeper servers
            # The fist port is used by followers to connect to the leader
            # The second one is used for leader election
            server.1=zookeeper1:2888:3888
            server.2=zookeeper2:2888:3888
            server.3=zookeeper3:2888:3888
            autopurge.snapRetainCount=3
            autopurge.purgeInterval=1
            """, myid: "3\n");
        var loaded = cfg.Load();
        var s = loaded.Settings;
        Assert.Equal(3, s.ServerId);
        Assert.Equal(new EnsembleSettings(3,
            [
                new EnsembleMember(1, "zookeeper1", 2888, 3888, false, null, 0),
                new EnsembleMember(2, "zookeeper2", 2888, 3888, false, null, 0),
                new EnsembleMember(3, "zookeeper3", 2888, 3888, false, null, 0),
            ], 10, 5), s.Ensemble);
        Assert.Equal(2183, s.Client.Port);
        Assert.Equal(cfg.Data, s.DataDir);
        Assert.Equal(2, loaded.Warnings.Count);
        Assert.All(loaded.Warnings, w => Assert.Contains("unknown or unsupported zoo.cfg key 'autopurge.", w));
    }

    [Fact]
    public void Observers_and_their_roles_are_read_from_the_server_lines()
    {
        using var cfg = new Cfg(Head + "server.1=127.0.0.1:2888:3888:participant\nserver.2=127.0.0.1:2889:3889\n"
            + "server.3=127.0.0.1:2890:3890:observer\nserver.4=127.0.0.1:2891:3891:OBSERVER\npeerType=observer\n", myid: "4");
        var e = cfg.Load().Settings.Ensemble!;
        Assert.Equal([1L, 2L], e.Voters.Select(m => m.Id));
        Assert.Equal([3L, 4L], e.Observers.Select(m => m.Id));
        Assert.True(e.Self.Observer);
        Assert.Equal(2, e.QuorumSize);
    }

    [Fact]
    public void IPv6_members_are_written_in_brackets_and_held_without_them()
    {
        using var cfg = new Cfg(Head.Replace("clientPort=2181\n", "", StringComparison.Ordinal)
            + "server.1=[fd00::1]:2888:3888\nserver.2=[::1]:2889:3889;[::1]:2182\n", myid: "2");
        var s = cfg.Load().Settings;
        Assert.Equal(new EnsembleMember(1, "fd00::1", 2888, 3888, false, null, 0), s.Ensemble!.Members[0]);
        Assert.Equal(new EnsembleMember(2, "::1", 2889, 3889, false, "::1", 2182), s.Ensemble.Members[1]);
        // ZooKeeper's setupClientPort: the own line's client address is where this server serves.
        Assert.Equal(("::1", 2182), (s.Client.Host, s.Client.Port));
    }

    [Fact]
    public void The_client_port_suffix_of_the_own_line_is_the_client_port()
    {
        using var cfg = new Cfg(Head.Replace("clientPort=2181\n", "", StringComparison.Ordinal)
            + "server.1=127.0.0.1:2888:3888;2181\nserver.2=127.0.0.1:2889:3889;0.0.0.0:2182\n", myid: "2");
        var s = cfg.Load().Settings;
        Assert.Equal((2181, (string?)null), (s.Ensemble!.Members[0].ClientPort, s.Ensemble.Members[0].ClientHost));
        Assert.Equal(("0.0.0.0", 2182), (s.Client.Host, s.Client.Port));
    }

    [Fact]
    public void A_clientPort_that_differs_from_the_own_lines_client_port_is_refused_as_zookeeper_does()
    {
        using var cfg = new Cfg(Head + "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889;2182\n", myid: "2");
        Assert.Equal($"{cfg.File}:5: clientPort=2181 differs from the client port 2182 of server.2 ({cfg.File}:7), this server's line "
            + "(ZooKeeper refuses this too); make them equal, or drop one", cfg.Error());
    }

    [Fact]
    public void A_clientPortAddress_that_differs_from_the_own_lines_client_host_is_refused()
    {
        using var cfg = new Cfg(Head + "clientPortAddress=127.0.0.1\nserver.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889;10.0.0.2:2181\n", myid: "2");
        Assert.StartsWith($"{cfg.File}:6: clientPortAddress=127.0.0.1 differs from the client address 10.0.0.2 of server.2", cfg.Error());
    }

    [Fact]
    public void A_missing_myid_with_two_members_is_an_error_naming_the_file()
    {
        using var cfg = new Cfg(ThreeServers);
        Assert.Equal($"{cfg.MyId}: myid file is missing; it names which of the members (1, 2, 3) this server is. "
            + $"Write this server's id into it, e.g. echo 1 > {cfg.MyId}", cfg.Error());
    }

    [Fact]
    public void A_myid_that_is_no_number_is_an_error_even_for_a_standalone_server_as_in_zookeeper()
    {
        using var cfg = new Cfg(Head + "server.1=127.0.0.1:2888:3888\n", myid: "replace this text with the cluster-unique zookeeper's instance id (1-255)\n");
        Assert.Equal($"{cfg.MyId}: myid holds 'replace this text with the cluster-unique zookeeper's instance id (1-255)', which is not a number; "
            + "it must hold this server's id alone, one of the server.N ids (1)", cfg.Error());
    }

    [Fact]
    public void A_standalone_server_keeps_server_id_1_whatever_myid_says_as_zookeeper_ignores_it()
    {
        using var cfg = new Cfg(Head + "server.7=127.0.0.1:2888:3888\n", myid: "7");
        var s = cfg.Load().Settings;
        Assert.Null(s.Ensemble);
        Assert.Equal(1, s.ServerId);
    }

    [Fact]
    public void An_own_id_that_names_no_member_is_refused_naming_the_myid_file()
    {
        using var cfg = new Cfg(ThreeServers, myid: "4");
        Assert.StartsWith($"coord.server-id (4) (from {cfg.MyId}) is not among coord.ensemble.members (1, 2, 3)", cfg.Error());
    }

    [Fact]
    public void Members_without_dataDir_cannot_read_myid()
    {
        using var cfg = new Cfg(ThreeServers.Replace("dataDir=DATA\n", "", StringComparison.Ordinal));
        Assert.EndsWith("name 3 members, but dataDir is not set, so this server's id cannot be read from dataDir/myid; set dataDir", cfg.Error());
    }

    [Theory]
    [InlineData("initLimit", "initLimit is not set: a member of an ensemble needs it (the ticks a follower has to connect and sync to a new leader); add initLimit=10")]
    [InlineData("syncLimit", "syncLimit is not set: a member of an ensemble needs it (the ticks a follower may fall behind the leader); add syncLimit=5")]
    public void A_member_needs_initLimit_and_syncLimit_as_in_zookeeper(string key, string expected)
    {
        using var cfg = new Cfg(string.Join('\n', ThreeServers.Split('\n').Where(l => !l.StartsWith(key, StringComparison.Ordinal))), myid: "1");
        Assert.Equal(expected, cfg.Error());
    }

    [Fact]
    public void Limit_values_out_of_range_are_named_with_their_line()
    {
        using var cfg = new Cfg(ThreeServers.Replace("syncLimit=5", "syncLimit=0", StringComparison.Ordinal), myid: "1");
        Assert.StartsWith($"coord.ensemble.sync-limit-ticks (0) (from {cfg.File}:3) must be at least 1", cfg.Error());
    }

    [Fact]
    public void A_member_value_out_of_range_is_named_with_its_line()
    {
        using var cfg = new Cfg(ThreeServers.Replace("2889:3889", "70000:3889", StringComparison.Ordinal), myid: "1");
        Assert.StartsWith($"coord.ensemble.members.2.peer-port (from {cfg.File}:7) (70000) must be between 1 and 65535", cfg.Error());
    }

    [Theory]
    [InlineData("server.2=127.0.0.1:2889", "server.2=127.0.0.1:2889: does not have ZooKeeper's form host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]")]
    [InlineData("server.2=127.0.0.1:2889:3889:participant:x", "does not have ZooKeeper's form")]
    [InlineData("server.2=127.0.0.1:2889:3889;1;2", "does not have ZooKeeper's form")]
    [InlineData("server.2=::1:2889:3889", "; write an IPv6 address in brackets: [fd00::1]:2888:3888")]
    [InlineData("server.2=[::1:2889:3889", "'[::1:2889:3889' starts with '[' but has no matching ']'")]
    [InlineData("server.2=[::1]2889:3889", "'[::1]2889:3889' needs ':' and a port after the ']'")]
    [InlineData("server.2=127.0.0.1:2889:2889", "the quorum port and the election port are both 2889; they must differ (ZooKeeper refuses this too). Change one of them on server.2")]
    [InlineData("server.2=127.0.0.1:x:3889", "the quorum port 'x' is not a number")]
    [InlineData("server.2=127.0.0.1:2889:y", "the election port 'y' is not a number")]
    [InlineData("server.2=127.0.0.1:2889:3889:voter", "the role 'voter' is neither participant nor observer")]
    [InlineData("server.2=127.0.0.1:2889:3889;a:b:2181", "the client address 'a:b:2181' must be port or host:port ([fd00::1]:2181 for IPv6)")]
    [InlineData("server.2=127.0.0.1:2889:3889;x", "the client port 'x' is not a number")]
    [InlineData("server.2=:2889:3889", "the host is empty; write host:quorumPort:electionPort")]
    [InlineData("server.2=10.0.0.1:2889:3889|10.0.0.2:2889:3889", "several addresses per member (ZooKeeper's multiAddress.enabled) are not supported; keep one host:quorumPort:electionPort")]
    [InlineData("server.x=127.0.0.1:2889:3889", "'server.x': the part after 'server.' must be the member's id, a whole number from 1 to 254 (server.1=zoo1:2888:3888)")]
    [InlineData("server.01=127.0.0.1:2889:3889", "'server.01' names member 1, as 'server.1' does at")]
    [InlineData("peerType=voter", "peerType = 'voter': expected observer or participant (ZooKeeper refuses it too: \"Unrecognised peertype\")")]
    [InlineData("dynamicConfigFile=/etc/zookeeper/zoo.cfg.dynamic", "dynamicConfigFile is not supported: Coord reads the server.N lines from this file only. Copy the server.N lines from /etc/zookeeper/zoo.cfg.dynamic into this file")]
    [InlineData("group.1=1:2:3", "'group.1': hierarchical quorums (group.N, weight.N) are not supported; Coord counts a majority of the participants")]
    [InlineData("weight.1=2", "'weight.1': hierarchical quorums")]
    public void A_line_zookeeper_cannot_read_either_stops_the_start_naming_its_line(string line, string expected)
    {
        // The bad line is the last (line 9); a repeated server.2 replaces the earlier one, as in java.util.Properties.
        using var cfg = new Cfg(ThreeServers + line + "\n", myid: "1");
        var error = cfg.Error();
        Assert.StartsWith($"{cfg.File}:9: ", error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Only_observers_are_refused_as_zookeeper_does()
    {
        using var cfg = new Cfg(Head + "server.1=127.0.0.1:2888:3888:observer\nserver.2=127.0.0.1:2889:3889:observer\n", myid: "1");
        Assert.Equal($"server.1 ({cfg.File}:6), server.2 ({cfg.File}:7): only observers and no participant; observers follow a quorum of participants "
            + "(ZooKeeper refuses this too: \"Observers w/o participants\"). Make at least two of the members participants", cfg.Error());
    }

    [Fact]
    public void One_participant_with_observers_is_refused_as_zookeeper_does()
    {
        using var cfg = new Cfg(Head + "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889:observer\n", myid: "1");
        Assert.StartsWith($"server.2 ({cfg.File}:7): observers with a single participant, which runs standalone and leaves them nothing to follow "
            + "(ZooKeeper refuses this too: \"Observers w/o quorum\")", cfg.Error());
    }

    [Fact]
    public void A_peerType_that_disagrees_with_the_server_list_only_warns_and_the_list_wins()
    {
        using var cfg = new Cfg(ThreeServers + "peerType=observer\n", myid: "2");
        var loaded = cfg.Load();
        Assert.False(loaded.Settings.Ensemble!.Self.Observer);
        Assert.Equal($"{cfg.File}:9: peerType=observer disagrees with server.2 ({cfg.File}:7), which makes this server a participant; "
            + "the server list wins, as in ZooKeeper. Make the two agree", Assert.Single(loaded.Warnings));
    }

    [Fact]
    public void Trailing_separators_are_read_as_java_splits_them()
    {
        using var cfg = new Cfg(Head + "server.1=127.0.0.1:2888:3888;\nserver.2=127.0.0.1:2889:3889:\n", myid: "1");
        var e = cfg.Load().Settings.Ensemble!;
        Assert.Equal(new EnsembleMember(1, "127.0.0.1", 2888, 3888, false, null, 0), e.Members[0]);
        Assert.Equal(new EnsembleMember(2, "127.0.0.1", 2889, 3889, false, null, 0), e.Members[1]);
    }

    [Fact]
    public void Election_settings_coord_does_not_use_are_warnings()
    {
        using var cfg = new Cfg(ThreeServers + "electionPortBindRetry=3\nquorumListenOnAllIPs=true\n", myid: "1");
        var warnings = cfg.Load().Warnings;
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.Contains("ignored: Coord's members talk over Akka.Remote on the quorum port", w));
    }
}

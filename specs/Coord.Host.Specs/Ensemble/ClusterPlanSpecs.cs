using Coord.Actors.Settings;
using Coord.Host.Config;
using Coord.Host.Ensemble;
using Coord.Host.Specs.Config;
using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Ensemble;

/// <summary>
/// The pure side of the cluster membership: when it runs, its timing from ZooKeeper's tick and limits, seeds, roles
/// and the member id they name, which of two clusters gives way, the view folded from membership events, and the
/// coord.ensemble.cluster keys with their errors.
/// </summary>
public class ClusterPlanSpecs
{
    private static EnsembleSettings Three(int electionPortOf3 = 3890, long self = 2, int init = 10, int sync = 5) => new(self,
    [
        new EnsembleMember(1, "127.0.0.1", 2888, 3888, false, null, 0),
        new EnsembleMember(2, "127.0.0.1", 2889, 3889, false, null, 0),
        new EnsembleMember(3, "127.0.0.1", 2890, electionPortOf3, true, null, 0),
    ], init, sync);

    [Fact]
    public void Auto_runs_the_cluster_only_when_every_member_names_an_election_port_and_never_standalone()
    {
        Assert.True(Three().UsesCluster);
        Assert.False(Three(electionPortOf3: 0).UsesCluster);
        Assert.True((Three(electionPortOf3: 0) with { Cluster = EnsembleClusterSettings.Default with { Enabled = ClusterMode.On } }).UsesCluster);
        Assert.False((Three() with { Cluster = EnsembleClusterSettings.Default with { Enabled = ClusterMode.Off } }).UsesCluster);
        var alone = new EnsembleSettings(1, [new EnsembleMember(1, "127.0.0.1", 2888, 3888, false, null, 0)], 10, 5)
            { Cluster = EnsembleClusterSettings.Default with { Enabled = ClusterMode.On } };
        Assert.False(alone.UsesCluster);
    }

    [Theory]
    [InlineData(2000, 10, 5, 1000, 3000, 20000)] // ZooKeeper's usual: sync limit 10 s → Akka's default 3 s pause; stable-after = init limit 20 s
    [InlineData(500, 10, 20, 1000, 3000, 5000)]  // sync limit 10 s, init limit 5 s
    [InlineData(200, 10, 5, 333, 1000, 3000)]    // sync limit 1 s: pause at its 1 s floor; stable-after at least pause + 2 s
    [InlineData(1000, 10, 3, 500, 1500, 10000)]  // sync limit 3 s → half of it
    public void Timing_is_derived_from_the_tick_and_limits(int tickMs, int init, int sync, int heartbeatMs, int pauseMs, int stableAfterMs) =>
        Assert.Equal(new ClusterTiming(heartbeatMs, pauseMs, stableAfterMs), ClusterTiming.For(Three(init: init, sync: sync), tickMs));

    [Fact]
    public void Explicit_timing_settings_win()
    {
        var e = Three() with { Cluster = new EnsembleClusterSettings(ClusterMode.Auto, AcceptableHeartbeatPauseMs: 600, StableAfterMs: 4000) };
        Assert.Equal(new ClusterTiming(200, 600, 4000), ClusterTiming.For(e, 2000));
    }

    [Fact]
    public void Seeds_are_every_election_address_by_id_or_this_member_first_when_it_should_form()
    {
        var e = Three();
        Assert.Equal(["akka.tcp://coord-cluster@127.0.0.1:3888", "akka.tcp://coord-cluster@127.0.0.1:3889", "akka.tcp://coord-cluster@127.0.0.1:3890"],
            ClusterPlan.Seeds(e, selfFirst: false).Select(a => a.ToString()));
        Assert.Equal(["akka.tcp://coord-cluster@127.0.0.1:3889", "akka.tcp://coord-cluster@127.0.0.1:3888", "akka.tcp://coord-cluster@127.0.0.1:3890"],
            ClusterPlan.Seeds(e, selfFirst: true).Select(a => a.ToString()));
    }

    [Fact]
    public void The_first_seed_never_gives_up_joining_and_the_others_give_up_later_the_higher_their_rank()
    {
        Assert.Null(ClusterPlan.GiveUpJoinMs(Three(self: 1), selfFirst: false));
        Assert.Equal(ClusterPlan.JoinGiveUpMs, ClusterPlan.GiveUpJoinMs(Three(self: 2), selfFirst: false));
        Assert.Equal(2 * ClusterPlan.JoinGiveUpMs, ClusterPlan.GiveUpJoinMs(Three(self: 3), selfFirst: false));
        Assert.Null(ClusterPlan.GiveUpJoinMs(Three(self: 3), selfFirst: true));
    }

    [Fact]
    public void Roles_name_the_kind_and_the_member_id_and_map_back()
    {
        var e = Three();
        Assert.Equal(["voter", "member-2"], ClusterPlan.RolesOf(e.Members[1]));
        Assert.Equal(["observer", "member-3"], ClusterPlan.RolesOf(e.Members[2]));
        Assert.Equal(3L, ClusterPlan.MemberIdOf(ClusterPlan.RolesOf(e.Members[2])));
        Assert.Equal(254L, ClusterPlan.MemberIdOf(["dc-default", "member-254"]));
        Assert.Null(ClusterPlan.MemberIdOf(["voter", "member-", "member-x", "member--1"]));
    }

    [Theory]
    [InlineData(1, 1, 2, 2, true)]   // a lone member 1 gives way to members 2 and 3
    [InlineData(2, 2, 1, 1, false)]  // ... and they do not give way to it
    [InlineData(1, 2, 1, 1, true)]   // equal sizes: the cluster holding the lower id stays
    [InlineData(1, 1, 1, 2, false)]
    [InlineData(2, 1, 2, 1, false)]  // the same cluster seen twice: nobody leaves
    public void Of_two_clusters_the_smaller_gives_way_and_at_equal_size_the_one_without_the_lowest_id(
        int ourUp, long ourLowest, int theirUp, long theirLowest, bool yields) =>
        Assert.Equal(yields, ClusterPlan.ShouldYield(ourUp, ourLowest, theirUp, theirLowest));

    [Fact]
    public void The_view_counts_members_up_once_per_id_and_unreachable_only_while_they_are_members()
    {
        var view = ClusterView.Empty
            .WithMember("a1#1", 1, "up").WithMember("a2#1", 2, "up").WithMember("a3#1", 3, "joining");
        Assert.Equal([1L, 2L], view.UpIds);
        view = view.WithMember("a3#1", 3, "up").WithReachability("a1#1", reachable: false);
        Assert.Equal("up [1, 2, 3], unreachable [1], self up", view.Figures("up", 0).ToString());
        // Member 1 restarted: its new incarnation joins before the old one is downed and removed.
        view = view.WithMember("a1#2", 1, "up").WithMember("a1#1", 1, "down");
        Assert.Equal([1L, 2L, 3L], view.UpIds);
        view = view.Without("a1#1");
        Assert.Equal("up [1, 2, 3], unreachable [], self up", view.Figures("up", 1).ToString());
        Assert.Equal(
            [("coord_cluster_members_up", (object)3L), ("coord_cluster_unreachable", 0L), ("coord_cluster_self_status", "up"), ("coord_cluster_rejoins", 1L)],
            view.Figures("up", 1).MonitorLines);
        Assert.Equal(new HashSet<long> { 1, 2, 3 }, view.Known);
    }

    [Theory]
    [InlineData("auto", ClusterMode.Auto)]
    [InlineData("on", ClusterMode.On)]
    [InlineData("true", ClusterMode.On)]
    [InlineData("off", ClusterMode.Off)]
    [InlineData("no", ClusterMode.Off)]
    public void The_cluster_keys_bind(string enabled, ClusterMode mode)
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", $$"""
            coord.ensemble {
              members {
                1 { host = "127.0.0.1", peer-port = 2888, election-port = 3888 }
                2 { host = "127.0.0.1", peer-port = 2889, election-port = 3889 }
              }
              cluster { enabled = {{enabled}}, acceptable-heartbeat-pause-ms = 1500, stable-after-ms = 7000 }
            }
            """);
        var e = ConfigLoader.Load(file, new Dictionary<string, string?>(), Env()).Ensemble!;
        Assert.Equal(new EnsembleClusterSettings(mode, 1500, 7000), e.Cluster);
    }

    [Fact]
    public void The_cluster_is_on_by_default_for_a_zoo_cfg_ensemble()
    {
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "zk");
        dir.Write("zk/myid", "1\n");
        var zoo = dir.Write("zoo.cfg", $"""
            tickTime=2000
            initLimit=10
            syncLimit=5
            dataDir={data}
            clientPort=2181
            server.1=127.0.0.1:2888:3888
            server.2=127.0.0.1:2889:3889
            """);
        var e = Load(zoo).Settings.Ensemble!;
        Assert.Equal(EnsembleClusterSettings.Default, e.Cluster);
        Assert.True(e.UsesCluster);
    }

    private static string Error(string members, string cluster)
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", $"coord.ensemble {{\n members {{\n{members}\n }}\n cluster {{ {cluster} }}\n}}");
        return Assert.Single(Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(file, new Dictionary<string, string?>(), Env())).Errors);
    }

    private const string NoElectionPorts = """
        1 { host = "127.0.0.1", peer-port = 2888 }
        2 { host = "127.0.0.1", peer-port = 2889, election-port = 3889 }
        3 { host = "127.0.0.1", peer-port = 2890 }
        """;

    [Fact]
    public void On_without_every_election_port_says_which_members_lack_one() =>
        Assert.Contains("but members 1, 3 name no election-port: Akka.Cluster listens on each member's election port; give every member an election-port, or set enabled = auto or off",
            Error(NoElectionPorts, "enabled = on"));

    [Fact]
    public void A_bad_enabled_value_says_what_is_accepted() =>
        Assert.Contains("coord.ensemble.cluster.enabled = 'sometimes'", Error(NoElectionPorts, "enabled = sometimes"));

    [Fact]
    public void Timing_settings_out_of_range_are_refused()
    {
        Assert.Contains("acceptable-heartbeat-pause-ms (50)", Error(NoElectionPorts, "acceptable-heartbeat-pause-ms = 50"));
        Assert.Contains("stable-after-ms (500)", Error(NoElectionPorts, "stable-after-ms = 500"));
    }

    [Fact]
    public void With_the_cluster_on_an_election_port_may_not_be_another_members_port() =>
        Assert.Contains("coord.ensemble.members.2.election-port",
            Error("""
                1 { host = "127.0.0.1", peer-port = 2888, election-port = 3888 }
                2 { host = "127.0.0.1", peer-port = 2889, election-port = 2888 }
                """, "enabled = auto"));

    [Fact]
    public void An_unknown_cluster_key_suggests_the_closest() =>
        Assert.Contains("did you mean coord.ensemble.cluster.stable-after-ms?", Error(NoElectionPorts, "stable-after = 5000"));
}

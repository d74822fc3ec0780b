using Coord.Actors.Settings;
using Coord.Host.Config;
using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

/// <summary>Every ensemble rule, one spec each: the message names the key (and where it came from) and what to do.</summary>
public class EnsembleValidationSpecs
{
    private const string Voters = """
        1 { host = "127.0.0.1", peer-port = 2888 }
        2 { host = "127.0.0.1", peer-port = 2889 }
        3 { host = "127.0.0.1", peer-port = 2890 }
        """;

    /// <summary>The one problem a coord.conf with these members (and this server-id, and these other keys) reports.</summary>
    private static string Error(string members, int serverId = 1, string more = "")
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", $"coord {{\n server-id = {serverId}\n {more}\n ensemble.members {{\n{members}\n }}\n}}");
        return Assert.Single(Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(file, new Dictionary<string, string?>(), Env())).Errors);
    }

    [Fact]
    public void The_valid_three_member_list_binds()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", $"coord.ensemble.members {{\n{Voters}\n}}");
        Assert.Equal(3, ConfigLoader.Load(file, new Dictionary<string, string?>(), Env()).Ensemble!.Voters.Count);
    }

    [Fact]
    public void A_member_id_of_0_is_refused() =>
        Assert.StartsWith("coord.ensemble.members.0: member id 0 must be between 1 and 254",
            Error(Voters + "\n0 { host = \"127.0.0.1\", peer-port = 2891 }"));

    [Fact]
    public void A_member_id_above_254_is_refused_because_the_session_id_top_byte_holds_it() =>
        Assert.Contains("coord.ensemble.members.255: member id 255 must be between 1 and 254 (ZooKeeper's myid range; a session id carries the member id in its top byte)",
            Error(Voters + "\n255 { host = \"127.0.0.1\", peer-port = 2891 }"));

    [Fact]
    public void The_same_id_written_twice_is_refused() =>
        Assert.StartsWith("coord.ensemble.members names member 1 2 times (ids written differently, such as 1 and 01, are one id); give each member its own id",
            Error(Voters + "\n01 { host = \"127.0.0.1\", peer-port = 2891 }"));

    [Fact]
    public void The_own_id_must_be_among_the_members() =>
        Assert.StartsWith("coord.server-id (4) (from ", Error(Voters, serverId: 4));

    [Fact]
    public void The_own_id_message_lists_the_members_and_says_what_to_change() =>
        Assert.EndsWith("is not among coord.ensemble.members (1, 2, 3); set coord.server-id to this server's id in the list "
            + "(a zoo.cfg takes it from dataDir/myid), or add this server to the list", Error(Voters, serverId: 4));

    [Fact]
    public void Observers_alone_have_no_voter_to_follow() =>
        Assert.StartsWith("coord.ensemble.members has no participant (observers: 1, 2): observers follow a quorum of participants, so at least one member needs role = participant",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888, role = observer }\n2 { host = \"127.0.0.1\", peer-port = 2889, role = observer }"));

    [Fact]
    public void A_single_member_that_is_an_observer_is_refused() =>
        Assert.StartsWith("coord.ensemble.members has no participant (observers: 1)",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888, role = observer }"));

    [Fact]
    public void One_voter_with_observers_is_refused_as_zookeeper_does() =>
        Assert.StartsWith("coord.ensemble.members has one participant (1) and observers (2, 3): a single voter runs standalone",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 { host = \"127.0.0.1\", peer-port = 2889, role = observer }\n"
                + "3 { host = \"127.0.0.1\", peer-port = 2890, role = observer }"));

    [Theory]
    [InlineData("peer-port = 0", "coord.ensemble.members.2.peer-port (from FILE) (0) must be between 1 and 65535: it is the port the member's peers connect to")]
    [InlineData("peer-port = 65536", "coord.ensemble.members.2.peer-port (from FILE) (65536) must be between 1 and 65535")]
    [InlineData("peer-port = 2889, election-port = 70000", "coord.ensemble.members.2.election-port (from FILE) (70000) must be between 1 and 65535, or left out (Akka.Cluster membership listens on it)")]
    [InlineData("peer-port = 2889, client-port = 70000", "coord.ensemble.members.2.client-port (from FILE) (70000) must be between 1 and 65535, or left out")]
    [InlineData("peer-port = 2889, client-port = -1", "coord.ensemble.members.2.client-port (from FILE) (-1) must be between 1 and 65535, or left out")]
    public void Ports_out_of_range_are_refused(string ports, string expected)
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", $"coord.ensemble.members {{\n1 {{ host = \"127.0.0.1\", peer-port = 2888 }}\n2 {{ host = \"127.0.0.1\", {ports} }}\n}}");
        var error = Assert.Single(Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(file, new Dictionary<string, string?>(), Env())).Errors);
        Assert.StartsWith(expected.Replace("FILE", file, StringComparison.Ordinal), error);
    }

    [Fact]
    public void Two_members_on_one_host_and_peer_port_are_refused() =>
        Assert.Matches(@"^coord\.ensemble\.members\.3\.peer-port \(from .*\) and coord\.ensemble\.members\.2\.peer-port \(from .*\) are both 127\.0\.0\.1:2889; give each member its own host:port$",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 { host = \"127.0.0.1\", peer-port = 2889 }\n3 { host = \"127.0.0.1\", peer-port = 2889 }"));

    [Fact]
    public void The_same_peer_port_on_different_hosts_is_fine()
    {
        var e = ConfigLoader.Load(null, new Dictionary<string, string?>
        {
            ["coord.ensemble.members.1.host"] = "10.0.0.1", ["coord.ensemble.members.1.peer-port"] = "2888",
            ["coord.ensemble.members.2.host"] = "10.0.0.2", ["coord.ensemble.members.2.peer-port"] = "2888",
        }, Env()).Ensemble!;
        Assert.Equal(2, e.Members.Count);
    }

    [Fact]
    public void A_peer_port_that_is_another_members_client_port_on_the_same_host_is_refused() =>
        Assert.Contains("coord.ensemble.members.2.client-port (from ",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 { host = \"127.0.0.1\", peer-port = 2889, client-port = 2888 }"));

    [Fact]
    public void A_host_that_is_no_address_is_refused() =>
        Assert.Contains("coord.ensemble.members.2.host (from ", Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 { host = \"not a host\", peer-port = 2889 }"));

    [Fact]
    public void A_host_message_says_what_is_wanted() =>
        Assert.EndsWith("('not a host') must be an IP address or host name, e.g. \"10.0.0.1\" or \"zoo1.example.com\"",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 { host = \"not a host\", peer-port = 2889 }"));

    [Fact]
    public void A_missing_host_is_refused() =>
        Assert.StartsWith("coord.ensemble.members.2.host is missing (from ",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 { peer-port = 2889 }"));

    [Fact]
    public void A_missing_peer_port_is_refused_with_an_example() =>
        Assert.EndsWith("every member needs it (the port the member's peers connect to, e.g. peer-port = 2888)",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 { host = \"127.0.0.1\" }"));

    [Fact]
    public void A_port_that_is_no_number_is_refused() =>
        Assert.StartsWith("coord.ensemble.members.2.peer-port = 'twenty' (from ",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 { host = \"127.0.0.1\", peer-port = twenty }"));

    [Fact]
    public void An_unknown_role_is_refused_naming_both_roles() =>
        Assert.EndsWith("expected participant (a voting member) or observer (a non-voting member that serves reads)",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 { host = \"127.0.0.1\", peer-port = 2889, role = voter }"));

    [Fact]
    public void An_unknown_member_key_suggests_the_closest() =>
        Assert.Matches(@"^unknown key coord\.ensemble\.members\.2\.peer_port \(from .*\); did you mean coord\.ensemble\.members\.2\.peer-port\? \(a member has host, peer-port, election-port, role, client-host, client-port\)$",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 { host = \"127.0.0.1\", peer-port = 2889, peer_port = 1 }"));

    [Fact]
    public void A_member_key_that_is_no_id_is_refused() =>
        Assert.StartsWith("coord.ensemble.members.one: a member's key is its id, a whole number from 1 to 254 (ZooKeeper's server.N), found 'one'",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\none { host = \"127.0.0.1\", peer-port = 2889 }"));

    [Fact]
    public void A_member_that_is_no_object_is_refused() =>
        Assert.StartsWith("coord.ensemble.members.2 must be an object { host = \"10.0.0.1\", peer-port = 2888 }, found '127.0.0.1:2889'",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 = \"127.0.0.1:2889\""));

    [Fact]
    public void A_member_field_that_is_an_object_is_refused() =>
        Assert.StartsWith("coord.ensemble.members.2.host must be a single value",
            Error("1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 {\n host { a = 1 }\n peer-port = 2889 }"));

    [Fact]
    public void Members_that_are_no_object_are_refused()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", "coord.ensemble.members = \"127.0.0.1:2888:3888\"");
        var error = Assert.Single(Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(file, new Dictionary<string, string?>(), Env())).Errors);
        Assert.StartsWith("coord.ensemble.members must be an object { 1 { host = \"10.0.0.1\", peer-port = 2888 } 2 { ... } }, found '127.0.0.1:2888:3888'", error);
        Assert.EndsWith("write members {} for a standalone server", error);
    }

    [Fact]
    public void An_unknown_ensemble_key_suggests_the_closest() =>
        Assert.Contains("unknown key coord.ensemble.init-limit (from ", Error(Voters, more: "ensemble.init-limit = 3"));

    [Theory]
    [InlineData("ensemble.init-limit-ticks = 0", "coord.ensemble.init-limit-ticks (0) must be at least 1: it is how many ticks a follower has to connect to a new leader and sync (ZooKeeper's initLimit; 10 is usual)")]
    [InlineData("ensemble.sync-limit-ticks = 0", "coord.ensemble.sync-limit-ticks (0) must be at least 1: it is how many ticks a follower may fall behind before the leader drops it (ZooKeeper's syncLimit; 5 is usual)")]
    public void Limits_below_one_tick_are_refused(string limit, string expected)
    {
        var error = Error(Voters, more: limit);
        Assert.StartsWith(expected.Split(" (0)")[0] + " (0) (from ", error);
        Assert.EndsWith(expected.Split(" (0)")[1], error);
    }

    [Fact]
    public void The_own_client_port_must_be_the_port_this_server_listens_on() =>
        Assert.Contains("coord.ensemble.members.1.client-port (from ", Error(
            "1 { host = \"127.0.0.1\", peer-port = 2888, client-port = 2182 }\n2 { host = \"127.0.0.1\", peer-port = 2889 }"));

    [Fact]
    public void The_own_client_port_message_names_both_values_and_the_fix() =>
        Assert.EndsWith("(2182) differs from coord.client.port (2181), the port this server listens on; make them equal, or leave client-port out", Error(
            "1 { host = \"127.0.0.1\", peer-port = 2888, client-port = 2182 }\n2 { host = \"127.0.0.1\", peer-port = 2889 }"));

    [Fact]
    public void The_own_client_host_must_be_the_address_this_server_listens_on() =>
        Assert.EndsWith("('10.0.0.9') differs from coord.client.host ('127.0.0.1'), the address this server listens on; make them equal, or leave client-host out", Error(
            "1 { host = \"127.0.0.1\", peer-port = 2888, client-host = \"10.0.0.9\", client-port = 2181 }\n2 { host = \"127.0.0.1\", peer-port = 2889 }"));

    [Fact]
    public void Another_members_client_address_is_not_this_servers_business()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", "coord.ensemble.members {\n1 { host = \"127.0.0.1\", peer-port = 2888 }\n"
            + "2 { host = \"127.0.0.1\", peer-port = 2889, client-host = \"10.0.0.9\", client-port = 2999 }\n}");
        Assert.Equal(new EnsembleMember(2, "127.0.0.1", 2889, 0, false, "10.0.0.9", 2999),
            ConfigLoader.Load(file, new Dictionary<string, string?>(), Env()).Ensemble!.Members[1]);
    }

    [Fact]
    public void A_client_host_without_a_client_port_is_refused() =>
        Assert.EndsWith("is set without client-port; give the member's client-port too, or leave both out", Error(
            "1 { host = \"127.0.0.1\", peer-port = 2888 }\n2 { host = \"127.0.0.1\", peer-port = 2889, client-host = \"127.0.0.1\" }"));

    [Fact]
    public void A_server_id_above_254_is_refused_even_standalone()
    {
        var error = Assert.Single(Assert.Throws<CoordConfigException>(() =>
            ConfigLoader.Load(null, new Dictionary<string, string?> { ["coord.server-id"] = "255" }, Env())).Errors);
        Assert.StartsWith("coord.server-id (255) must be at most 254: a session id carries the server id in its top byte, and the top byte 0xFF marks TTL nodes", error);
    }

    [Fact]
    public void All_ensemble_problems_are_reported_together()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", """
            coord {
              server-id = 9
              ensemble {
                members { 1 { host = "127.0.0.1", peer-port = 0 } 2 { host = "127.0.0.1", peer-port = 2889, role = observer } }
                sync-limit-ticks = 0
              }
            }
            """);
        var errors = Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(file, new Dictionary<string, string?>(), Env())).Errors;
        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("coord.ensemble.members.1.peer-port", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("coord.server-id (9)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("coord.ensemble.members has one participant (1) and observers (2)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("coord.ensemble.sync-limit-ticks (0)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_comma_after_a_member_says_akkas_parser_wants_a_new_line_or_a_space()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", "coord.ensemble.members { 1 { host = \"127.0.0.1\", peer-port = 2888 }, 2 { host = \"127.0.0.1\", peer-port = 2889 } }");
        Assert.Equal($"{file}:1:68: Akka's HOCON parser takes no ',' after an object's closing '}}'; separate the fields with a new line or a space instead (members {{ 1 {{ ... }} 2 {{ ... }} }})",
            Assert.Single(Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(file, new Dictionary<string, string?>(), Env())).Errors));
    }

    [Fact]
    public void Settings_built_in_code_are_held_to_the_same_rules()
    {
        var ensemble = new EnsembleSettings(1, [new EnsembleMember(1, "127.0.0.1", 2888, 2888, false, null, 0)], 10, 5);
        Assert.Empty((CoordSettings.Default with { Ensemble = ensemble }).Validate());
        Assert.Contains((CoordSettings.Default with { Ensemble = ensemble with { SelfId = 2 } }).Validate(),
            e => e.StartsWith("the ensemble's own id (2) differs from coord.server-id (1)", StringComparison.Ordinal));
        Assert.Contains((CoordSettings.Default with { Ensemble = ensemble with { Members = [] } }).Validate(),
            e => e.StartsWith("coord.ensemble.members is empty", StringComparison.Ordinal));
    }
}

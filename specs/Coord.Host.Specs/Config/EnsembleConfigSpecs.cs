using Coord.Actors.Settings;
using Coord.Host.Config;
using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

/// <summary>coord.ensemble in each of its forms (HOCON, environment, command line, zoo.cfg) becomes one EnsembleSettings.</summary>
public class EnsembleConfigSpecs
{
    private static readonly Dictionary<string, string?> NoOverrides = [];

    /// <summary>Two voters and an IPv6 observer; this server is member 2, whose client port is listed.</summary>
    private static readonly EnsembleSettings Expected = new(
        SelfId: 2,
        Members:
        [
            new EnsembleMember(1, "10.0.0.1", 2888, 3888, Observer: false, ClientHost: null, ClientPort: 0),
            new EnsembleMember(2, "10.0.0.2", 2888, 3888, Observer: false, ClientHost: null, ClientPort: 2181),
            new EnsembleMember(3, "fd00::3", 2888, 3888, Observer: true, ClientHost: "fd00::3", ClientPort: 2181),
        ],
        InitLimitTicks: 10,
        SyncLimitTicks: 5);

    private const string ExpectedHocon = """
        coord {
          server-id = 2
          ensemble {
            members {
              1 { host = "10.0.0.1", peer-port = 2888, election-port = 3888 }
              2 { host = "10.0.0.2", peer-port = 2888, election-port = 3888, role = participant, client-port = 2181 }
              3 { host = "[fd00::3]", peer-port = 2888, election-port = 3888, role = observer, client-host = "fd00::3", client-port = 2181 }
            }
            init-limit-ticks = 10
            sync-limit-ticks = 5
          }
        }
        """;

    [Fact]
    public void The_hocon_form_binds_the_members_ordered_by_id_with_the_own_id_from_server_id()
    {
        using var dir = new TempDir();
        var settings = ConfigLoader.Load(dir.Write("coord.conf", ExpectedHocon), NoOverrides, Env());
        Assert.Equal(Expected, settings.Ensemble);
        var e = settings.Ensemble!;
        Assert.Equal(2, e.Self.Id);
        Assert.Equal([1L, 2L], e.Voters.Select(m => m.Id));
        Assert.Equal([3L], e.Observers.Select(m => m.Id));
        Assert.Equal(2, e.QuorumSize);
        Assert.False(e.IsStandalone);
    }

    [Fact]
    public void The_zoo_cfg_form_with_myid_binds_the_same_settings()
    {
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "zk");
        dir.Write("zk/myid", "2\n");
        var zoo = dir.Write("zoo.cfg", $"""
            tickTime=2000
            initLimit=10
            syncLimit=5
            dataDir={data}
            clientPort=2181
            server.1=10.0.0.1:2888:3888
            server.2=10.0.0.2:2888:3888;2181
            server.3=[fd00::3]:2888:3888:observer;[fd00::3]:2181
            """);
        var loaded = Load(zoo);
        Assert.Equal(Expected, loaded.Settings.Ensemble);
        Assert.Equal(2, loaded.Settings.ServerId);
        Assert.Equal(2181, loaded.Settings.Client.Port);
        Assert.Empty(loaded.Warnings);
    }

    [Fact]
    public void Environment_variables_and_command_line_keys_bind_the_same_settings()
    {
        var env = Env(
            ("COORD_SERVER_ID", "2"),
            ("COORD_ENSEMBLE__MEMBERS__1__HOST", "10.0.0.1"), ("COORD_ENSEMBLE__MEMBERS__1__PEER_PORT", "2888"),
            ("COORD_ENSEMBLE__MEMBERS__1__ELECTION_PORT", "3888"),
            ("COORD_ENSEMBLE__MEMBERS__2__HOST", "10.0.0.2"), ("COORD_ENSEMBLE__MEMBERS__2__PEER_PORT", "2888"),
            ("COORD_ENSEMBLE__MEMBERS__2__ELECTION_PORT", "3888"), ("COORD_ENSEMBLE__MEMBERS__2__CLIENT_PORT", "2181"),
            ("COORD_ENSEMBLE__INIT_LIMIT_TICKS", "10"));
        var cli = new Dictionary<string, string?>
        {
            ["coord.ensemble.members.3.host"] = "fd00::3", ["coord.ensemble.members.3.peer-port"] = "2888",
            ["coord.ensemble.members.3.election-port"] = "3888", ["coord.ensemble.members.3.role"] = "OBSERVER",
            ["coord.ensemble.members.3.client-host"] = "[fd00::3]", ["coord.ensemble.members.3.client-port"] = "2181",
            ["coord.ensemble.sync-limit-ticks"] = "5",
        };
        Assert.Equal(Expected, ConfigLoader.Load(null, cli, env).Ensemble);
    }

    [Fact]
    public void Limits_default_to_zookeepers_usual_10_and_5_ticks_and_role_to_participant()
    {
        var e = ConfigLoader.Load(null, new Dictionary<string, string?>
        {
            ["coord.ensemble.members.1.host"] = "zoo1.example.com", ["coord.ensemble.members.1.peer-port"] = "2888",
            ["coord.ensemble.members.2.host"] = "zoo2.example.com", ["coord.ensemble.members.2.peer-port"] = "2888",
        }, Env()).Ensemble!;
        Assert.Equal((10, 5), (e.InitLimitTicks, e.SyncLimitTicks));
        Assert.All(e.Members, m => Assert.True(m.IsVoter));
        Assert.Equal(new EnsembleMember(2, "zoo2.example.com", 2888, 0, false, null, 0), e.Members[1]);
        Assert.Equal(2, e.QuorumSize);
    }

    [Fact]
    public void No_members_is_a_standalone_server_exactly_as_before()
    {
        using var dir = new TempDir();
        var empty = ConfigLoader.Load(dir.Write("a.conf", "coord.ensemble {\n  members {}\n  init-limit-ticks = 3\n}"), NoOverrides, Env());
        Assert.Null(empty.Ensemble);
        Assert.Equal(CoordSettings.Default, empty);
        Assert.Null(ConfigLoader.Load(null, NoOverrides, Env()).Ensemble);
    }

    [Fact]
    public void A_single_member_list_is_standalone()
    {
        var e = ConfigLoader.Load(null, new Dictionary<string, string?>
        {
            ["coord.ensemble.members.1.host"] = "127.0.0.1", ["coord.ensemble.members.1.peer-port"] = "2888",
        }, Env()).Ensemble!;
        Assert.True(e.IsStandalone);
        Assert.Equal(1, e.QuorumSize);
        Assert.Equal(1, e.Self.Id);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(4, 3)]
    [InlineData(5, 3)]
    [InlineData(7, 4)]
    public void The_quorum_is_a_majority_of_the_voters_and_observers_do_not_count(int voters, int quorum)
    {
        var members = Enumerable.Range(1, voters + 2)
            .Select(i => new EnsembleMember(i, "10.0.0." + i, 2888, 0, Observer: i > voters, null, 0)).ToList();
        var e = new EnsembleSettings(1, members, 10, 5);
        Assert.Equal(quorum, e.QuorumSize);
        Assert.Equal(voters, e.Voters.Count);
        Assert.Equal(2, e.Observers.Count);
    }

    [Fact]
    public void Settings_compare_by_content_and_print_as_server_lines()
    {
        var copy = Expected with { Members = [.. Expected.Members] };
        Assert.Equal(Expected, copy);
        Assert.Equal(Expected.GetHashCode(), copy.GetHashCode());
        Assert.NotEqual(Expected, Expected with { Members = [.. Expected.Members.Take(2)] });
        Assert.Equal("server.3=[fd00::3]:2888:3888:observer;[fd00::3]:2181", Expected.Members[2].ToString());
        Assert.Equal("server.2=10.0.0.2:2888:3888:participant;2181", Expected.Members[1].ToString());
        Assert.StartsWith("ensemble self=2 init-limit-ticks=10 sync-limit-ticks=5 [server.1=", Expected.ToString());
    }

    [Fact]
    public void The_shipped_ensemble_3_files_list_the_same_members_and_differ_only_in_the_own_id_and_client_port()
    {
        var files = Enumerable.Range(1, 3)
            .Select(n => ConfigLoader.Load(Path.Combine(RepoRoot(), "hocon", "ensemble-3", $"node{n}.conf"), NoOverrides, Env())).ToList();
        for (var n = 1; n <= 3; n++)
        {
            var s = files[n - 1];
            Assert.Equal(n, s.ServerId);
            Assert.Equal(files[0].Ensemble! with { SelfId = n }, s.Ensemble);
            Assert.Equal(s.Ensemble!.Self.ClientPort, s.Client.Port);
            Assert.Equal($"./data/node{n}", s.DataDir);
        }
        var e = files[0].Ensemble!;
        Assert.Equal(3, e.Voters.Count);
        // On one machine every port must differ: three peer ports and three client ports.
        Assert.Equal(6, e.Members.SelectMany(m => new[] { m.PeerPort, m.ClientPort }).Distinct().Count());
    }

    [Fact]
    public async Task The_start_script_starts_the_three_node_files_as_an_ensemble_and_stops_them_on_sigterm()
    {
        // The script and node files run from a scratch copy whose fixed ports (2181.., 2888..) are replaced by free
        // ones, so the spec never binds a fixed port; the script's stdout echoes the members' logs (tail -F).
        using var dir = new TempDir();
        var source = Path.Combine(RepoRoot(), "hocon", "ensemble-3");
        var ports = new Dictionary<string, string>();
        foreach (var fixedPort in new[] { "2181", "2182", "2183", "2888", "2889", "2890", "3888", "3889", "3890" })
            ports[fixedPort] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var file in new[] { "node1.conf", "node2.conf", "node3.conf", "start.sh" })
        {
            var text = File.ReadAllText(Path.Combine(source, file));
            foreach (var (from, to) in ports) text = text.Replace(from, to, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir.Path, file), text);
        }
        var coord = "dotnet " + Path.Combine(AppContext.BaseDirectory, "coord.dll");
        var psi = new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(dir.Path, "start.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["COORD"] = coord, ["ENSEMBLE_DIR"] = dir.Path },
        };
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var seen = new System.Text.StringBuilder();
        try
        {
            // One leader and two followers, all serving: the members' role lines, as the script echoes them.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var serving = new HashSet<string>();
            while (serving.Count < 3)
            {
                var line = await process.StandardOutput.ReadLineAsync(deadline.Token)
                    ?? throw new InvalidOperationException($"start.sh ended early:\n{seen}\n{await stderr}");
                seen.AppendLine(line);
                var m = System.Text.RegularExpressions.Regex.Match(line, @"^coord: member (\d) is (leading|following) \(leader \d, epoch \d+, serving yes\)");
                if (m.Success) serving.Add(m.Groups[1].Value + m.Groups[2].Value);
            }
            Assert.Single(serving, s => s.EndsWith("leading", StringComparison.Ordinal));
            Posix.Kill(process.Id, 15);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        Assert.True(process.ExitCode == 0, seen + await stderr);
        Assert.Contains("start.sh: stopping members", await stderr);
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    private static class Posix
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}

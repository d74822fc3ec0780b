using System.Diagnostics;
using System.Globalization;
using System.Net;
using Coord.Actors.Settings;
using Coord.Host.Config;
using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

/// <summary>
/// The same zoo.cfg files read by ZooKeeper 3.8's own QuorumPeerConfig (Debian's zookeeper.jar, through
/// java/ZooKeeperConfigOracle.java) and by Coord: ZooKeeper refuses a file exactly when Coord does, and where both
/// read a member of an ensemble they read the same members, own id and limits. The few files Coord refuses and
/// ZooKeeper's parser takes are listed apart, with why.
/// </summary>
public class ZooKeeperReadsTheSameSpecs
{
    private const string Java = "/usr/bin/java";
    private const string ZooKeeperClasspath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar";
    private static readonly TimeSpan JavaDeadline = TimeSpan.FromSeconds(60);

    private const string Head = "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=DATA\n";
    private const string Two = "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\n";

    /// <summary>Name, zoo.cfg (DATA is its data folder), the myid file's text (null = no file).</summary>
    public static TheoryData<string, string, string?> Agreed => new()
    {
        { "three voters", Head + "clientPort=2181\n" + Two + "server.3=127.0.0.1:2890:3890\n", "2" },
        { "ipv6, observer, client suffixes", Head + "clientPort=2182\nserver.1=[fd00::1]:2888:3888:participant;2181\n"
            + "server.2=127.0.0.1:2889:3889;2182\nserver.3=[::1]:2890:3890:observer;[::1]:2183\nserver.4=h4:2891:3891\n", "2" },
        { "own client suffix without clientPort", Head + "server.1=127.0.0.1:2888:3888;0.0.0.0:2181\nserver.2=127.0.0.1:2889:3889;2182\n", "1" },
        { "trailing separators", Head + "server.1=127.0.0.1:2888:3888;\nserver.2=127.0.0.1:2889:3889:\n", "1" },
        { "peerType disagrees", Head + Two + "peerType=observer\n", "1" },
        { "one server, no myid", Head + "clientPort=2181\nserver.1=zoo1:2888:3888\n", null },
        { "no servers", Head + "clientPort=2181\n", null },
        { "myid not a number", Head + "server.1=zoo1:2888:3888\n", "replace this text\n" },
        { "myid missing", Head + Two, null },
        { "initLimit missing", Head.Replace("initLimit=10\n", "", StringComparison.Ordinal) + Two, "1" },
        { "syncLimit missing", Head.Replace("syncLimit=5\n", "", StringComparison.Ordinal) + Two, "1" },
        { "quorum port = election port", Head + "server.1=127.0.0.1:2888:2888\nserver.2=127.0.0.1:2889:3889\n", "1" },
        { "election port missing", Head + "server.1=127.0.0.1:2888\nserver.2=127.0.0.1:2889:3889\n", "1" },
        { "bare ipv6", Head + "server.1=::1:2888:3888\nserver.2=127.0.0.1:2889:3889\n", "1" },
        { "unclosed bracket", Head + "server.1=[::1:2888:3888\nserver.2=127.0.0.1:2889:3889\n", "1" },
        { "too many parts", Head + "server.1=127.0.0.1:2888:3888:observer:x\nserver.2=127.0.0.1:2889:3889\n", "1" },
        { "unknown role", Head + "server.1=127.0.0.1:2888:3888:voter\nserver.2=127.0.0.1:2889:3889\n", "1" },
        { "only observers", Head + "server.1=127.0.0.1:2888:3888:observer\nserver.2=127.0.0.1:2889:3889:observer\n", "1" },
        { "one participant and an observer", Head + "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889:observer\n", "1" },
        { "several addresses", Head + "server.1=127.0.0.1:2888:3888|127.0.0.2:2888:3888\nserver.2=127.0.0.1:2889:3889\n", "1" },
        { "clientPort differs from own suffix", Head + "clientPort=2181\nserver.1=127.0.0.1:2888:3888;2182\nserver.2=127.0.0.1:2889:3889\n", "1" },
        { "quorum port not a number", Head + "server.1=127.0.0.1:x:3888\nserver.2=127.0.0.1:2889:3889\n", "1" },
        { "server id not a number", Head + "server.x=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\n", "2" },
        { "peerType unknown", Head + Two + "peerType=voter\n", "1" },
        { "client config with three parts", Head + "server.1=127.0.0.1:2888:3888;a:b:2181\nserver.2=127.0.0.1:2889:3889\n", "1" },
    };

    /// <summary>Files ZooKeeper's parser accepts and Coord refuses at start, and why that is the better answer.</summary>
    public static TheoryData<string, string, string?, string> CoordIsStricter => new()
    {
        // ZooKeeper fails later, when the quorum peer starts ("My id 3 not in the peer list").
        { "own id not among the members", Head + Two, "3", "coord.server-id (3)" },
        // Session ids carry the id in their top byte; 0xFF marks TTL nodes in Coord's ephemeral-owner field.
        { "member id 255", Head + "server.1=127.0.0.1:2888:3888\nserver.255=127.0.0.1:2889:3889\n", "1", "member id 255 must be between 1 and 254" },
        // Port 0 would bind any free port, which no other member could know.
        { "quorum port 0", Head + "server.1=127.0.0.1:0:3888\nserver.2=127.0.0.1:2889:3889\n", "1", "coord.ensemble.members.1.peer-port" },
        // Two members cannot listen on one address.
        { "two members on one quorum address", Head + "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2888:3889\n", "1", "are both 127.0.0.1:2888" },
    };

    [Fact]
    public async Task ZooKeeper_refuses_exactly_the_files_coord_refuses_and_reads_the_same_ensemble_from_the_rest()
    {
        using var dir = new TempDir();
        var cases = Agreed.Select(row => ((string)row[0], (string)row[1], (string?)row[2])).ToList();
        var zk = await ReadWithZooKeeperAsync(dir, cases);
        foreach (var (name, path) in cases.Select((c, i) => (c.Item1, Path.Combine(dir.Path, $"case{i}", "zoo.cfg"))))
        {
            var zooKeeper = zk[path];
            CoordSettings? coord = null;
            string? coordError = null;
            try
            {
                coord = Load(path).Settings;
            }
            catch (CoordConfigException ex)
            {
                coordError = string.Join(" | ", ex.Errors);
            }
            Assert.True(zooKeeper.StartsWith("OK", StringComparison.Ordinal) == (coord is not null),
                $"{name}: ZooKeeper says {zooKeeper}; Coord says {coordError ?? coord!.Ensemble?.ToString() ?? "standalone"}");
            if (coord is null) continue;
            var distributed = zooKeeper.Contains("distributed=true", StringComparison.Ordinal);
            Assert.True(distributed == coord.Ensemble is { IsStandalone: false }, $"{name}: ZooKeeper says {zooKeeper}; Coord says {coord.Ensemble}");
            if (distributed) Assert.Equal(Describe(coord.Ensemble!), FromZooKeeper(zooKeeper));
        }
    }

    [Fact]
    public async Task Coord_refuses_at_start_what_zookeepers_parser_takes_and_its_server_would_fail_on_or_misuse()
    {
        using var dir = new TempDir();
        var cases = CoordIsStricter.Select(row => ((string)row[0], (string)row[1], (string?)row[2], (string)row[3])).ToList();
        var zk = await ReadWithZooKeeperAsync(dir, [.. cases.Select(c => (c.Item1, c.Item2, c.Item3))]);
        for (var i = 0; i < cases.Count; i++)
        {
            var (name, _, _, expected) = cases[i];
            var path = Path.Combine(dir.Path, $"case{i}", "zoo.cfg");
            Assert.True(zk[path].StartsWith("OK distributed=true", StringComparison.Ordinal), $"{name}: ZooKeeper says {zk[path]}");
            var error = Assert.Single(Assert.Throws<CoordConfigException>(() => Load(path)).Errors);
            Assert.True(error.Contains(expected, StringComparison.Ordinal), $"{name}: {error}");
        }
    }

    /// <summary>Writes each case under DIR/caseN and runs ZooKeeper's parser on all of them in one JVM; zoo.cfg path → its line.</summary>
    private static async Task<Dictionary<string, string>> ReadWithZooKeeperAsync(TempDir dir, IReadOnlyList<(string Name, string Cfg, string? MyId)> cases)
    {
        var paths = new List<string>();
        for (var i = 0; i < cases.Count; i++)
        {
            var data = Path.Combine(dir.Path, $"case{i}", "data");
            Directory.CreateDirectory(data);
            if (cases[i].MyId is { } myid) File.WriteAllText(Path.Combine(data, "myid"), myid);
            paths.Add(dir.Write($"case{i}/zoo.cfg", cases[i].Cfg.Replace("DATA", data, StringComparison.Ordinal)));
        }
        Assert.True(File.Exists(Java), $"{Java} is missing: install Debian's zookeeper package (it brings Java), as .ci/run does");
        var oracle = Path.Combine(RepoRoot(), "specs", "Coord.Host.Specs", "Config", "java", "ZooKeeperConfigOracle.java");
        var psi = new ProcessStartInfo(Java, ["-cp", ZooKeeperClasspath, oracle, .. paths])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir.Path,
        };
        using var java = Process.Start(psi)!;
        var stdout = java.StandardOutput.ReadToEndAsync();
        var stderr = java.StandardError.ReadToEndAsync();
        try
        {
            await java.WaitForExitAsync().WaitAsync(JavaDeadline);
        }
        finally
        {
            if (!java.HasExited) java.Kill(entireProcessTree: true);
        }
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(java.ExitCode == 0 && lines.Length == paths.Count, $"java exited {java.ExitCode}:\n{await stdout}\n{await stderr}");
        return paths.Zip(lines).ToDictionary(p => p.First, p => p.Second);
    }

    /// <summary>One comparable line: own id, limits, then id,host,quorumPort,electionPort,TYPE,clientHost,clientPort per member.</summary>
    private static string Describe(EnsembleSettings e) =>
        $"myid={e.SelfId} init={e.InitLimitTicks} sync={e.SyncLimitTicks} members=" + string.Join(';', e.Members.Select(m =>
            $"{m.Id},{m.Host},{m.PeerPort},{m.ElectionPort},{(m.Observer ? "OBSERVER" : "PARTICIPANT")},"
            + (m.ClientPort == 0 ? "-,0" : $"{Address(m.ClientHost ?? "0.0.0.0")},{m.ClientPort}")));

    /// <summary>ZooKeeper's line in the same shape (its members come in a hash map's order; Coord's by id).</summary>
    private static string FromZooKeeper(string line)
    {
        var fields = line.Split(' ').Skip(2).ToList(); // OK distributed=...
        var members = fields[3]["members=".Length..].Split(';')
            .Select(m => m.Split(','))
            .OrderBy(m => long.Parse(m[0], CultureInfo.InvariantCulture))
            .Select(m => string.Join(',', m[..5]) + "," + (m[5] == "-" ? "-" : Address(m[5])) + "," + m[6]);
        return $"{fields[0]} {fields[1]} {fields[2]} members={string.Join(';', members)}";
    }

    /// <summary>Java prints ::1 as 0:0:0:0:0:0:0:1; compare addresses, not spellings.</summary>
    private static string Address(string host) => IPAddress.TryParse(host, out var ip) ? ip.ToString() : host;
}

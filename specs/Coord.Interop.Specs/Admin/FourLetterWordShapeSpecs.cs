using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Coord.Interop.Specs.Fuzz;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Admin;

/// <summary>
/// Coord's four-letter words have ZooKeeper 3.8's shape — the same keys in the same order, the same line
/// structure, values of the same kind — after the same requests on both servers, and ZooKeeper's own
/// <c>zkServer.sh status</c> reads Coord's mode through a zoo.cfg pointing at Coord's client port. Values that
/// name the implementation (versions, java.*, paths, host) are not compared; documented differences are in
/// the folder's README.
/// </summary>
public sealed partial class FourLetterWordShapeSpecs(ServerPool servers) : IClassFixture<ServerPool>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>mntr keys monitoring tools read (the pre-3.6 set); ZooKeeper 3.8 adds hundreds of metrics Coord does not have.</summary>
    private static readonly string[] ClassicMntrKeys =
    [
        "zk_version", "zk_avg_latency", "zk_max_latency", "zk_min_latency", "zk_packets_received", "zk_packets_sent",
        "zk_num_alive_connections", "zk_outstanding_requests", "zk_server_state", "zk_znode_count", "zk_watch_count",
        "zk_ephemerals_count", "zk_approximate_data_size", "zk_open_file_descriptor_count", "zk_max_file_descriptor_count",
    ];

    [GeneratedRegex(@"^[-+]?\d+(\.\d+)?$")]
    private static partial Regex Number();

    [Fact]
    public async Task Each_word_has_ZooKeepers_shape_after_the_same_requests()
    {
        var zk = await servers.GetAsync("zookeeper");
        var coord = await servers.GetAsync("coord");
        await using var onZk = await Workload(zk);
        await using var onCoord = await Workload(coord);

        foreach (var word in new[] { "ruok", "isro" })
        {
            Assert.Equal(await zk.FourLetterWordAsync(word), await coord.FourLetterWordAsync(word));
        }

        // "Key: value" lines, in order (zkServer.sh status greps "Mode"; kazoo's server_version parses srvr).
        foreach (var word in new[] { "srvr", "dirs" })
        {
            var (a, b) = (await zk.FourLetterWordAsync(word), await coord.FourLetterWordAsync(word));
            Assert.True(Keys(a, ": ").SequenceEqual(Keys(b, ": ")), $"{word}: keys differ\n--- zookeeper ---\n{a}\n--- coord ---\n{b}");
            Assert.True(Kinds(a, ": ").SequenceEqual(Kinds(b, ": ")), $"{word}: kinds of values differ\n--- zookeeper ---\n{a}\n--- coord ---\n{b}");
        }

        // "key=value" lines, in order.
        foreach (var word in new[] { "conf", "envi" })
        {
            var (a, b) = (await zk.FourLetterWordAsync(word), await coord.FourLetterWordAsync(word));
            Assert.True(Keys(a, "=").SequenceEqual(Keys(b, "=")), $"{word}: keys differ\n--- zookeeper ---\n{a}\n--- coord ---\n{b}");
        }

        // mntr: no key ZooKeeper lacks, the classic ones present, numbers where ZooKeeper has numbers.
        var (zkMntr, coordMntr) = (Tabbed(await zk.FourLetterWordAsync("mntr")), Tabbed(await coord.FourLetterWordAsync("mntr")));
        // Coord's own figures are coord_*; zk_expired_sessions is Coord's too (ZooKeeper 3.8 has no such key).
        var invented = coordMntr.Keys.Except(zkMntr.Keys).Where(k => !k.StartsWith("coord_", StringComparison.Ordinal) && k != "zk_expired_sessions").ToList();
        Assert.True(invented.Count == 0, $"mntr keys ZooKeeper does not have: {string.Join(", ", invented)}");
        Assert.Empty(ClassicMntrKeys.Except(coordMntr.Keys));
        Assert.Empty(coordMntr.Where(kv => zkMntr.TryGetValue(kv.Key, out var z) && Number().IsMatch(z) != Number().IsMatch(kv.Value)).Select(kv => kv.Key));

        // Watch dumps: a header line, then tab-indented lines, then an empty line (ZooKeeper's PrintWriter).
        foreach (var word in new[] { "wchc", "wchp" })
        {
            var (a, b) = (await zk.FourLetterWordAsync(word), await coord.FourLetterWordAsync(word));
            Assert.True(DumpShape(a) == DumpShape(b), $"{word}: shape differs\n--- zookeeper ---\n{a}\n--- coord ---\n{b}");
        }

        var (zkWchs, coordWchs) = (await zk.FourLetterWordAsync("wchs"), await coord.FourLetterWordAsync("wchs"));
        Assert.Equal(Shape(zkWchs), Shape(coordWchs));
        foreach (var word in new[] { "crst", "srst" })
        {
            Assert.Equal(await zk.FourLetterWordAsync(word), await coord.FourLetterWordAsync(word));
        }
    }

    /// <summary>
    /// ZooKeeper's wchc/wchp/wchs show its data-watch manager only: a getData or exists watch is listed, a getChildren
    /// watch is not (mntr's zk_watch_count counts both). Operators compare these dumps across servers.
    /// </summary>
    [Theory, MemberData(nameof(ServerKinds))]
    public async Task Watch_dumps_list_data_and_exists_watches_but_not_child_watches(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var c = await RawZkClient.ConnectAsync(server.Host, server.Port, Timeout);
        var root = $"/wch-{Guid.NewGuid():N}";
        var (data, children, missing) = ($"{root}-data", $"{root}-children", $"{root}-missing");
        foreach (var p in new[] { data, children })
            Assert.Equal(0, await c.CreateAsync(p, [], [(RawZkClient.AllPerms, "world", "anyone")]));
        Assert.Equal(0, (await c.RequestAsync(new RawZkClient.Jute().Int(2).Int(RawZkClient.GetDataOp).String(data).Bool(true)))!.Value.Err);
        Assert.Equal(0, (await c.RequestAsync(new RawZkClient.Jute().Int(3).Int(8).String(children).Bool(true)))!.Value.Err); // getChildren
        Assert.Equal(-101, (await c.RequestAsync(new RawZkClient.Jute().Int(4).Int(3).String(missing).Bool(true)))!.Value.Err); // exists: NONODE

        var session = $"0x{c.SessionId:x}";
        var wchc = await server.FourLetterWordAsync("wchc");
        var mine = wchc.Split('\n').SkipWhile(l => l != session).Skip(1).TakeWhile(l => l.StartsWith('\t')).Select(l => l.Trim()).ToList();
        Assert.True(mine.Order(StringComparer.Ordinal).SequenceEqual(new[] { data, missing }.Order(StringComparer.Ordinal)), $"wchc for {session}:\n{wchc}");
        var wchp = await server.FourLetterWordAsync("wchp");
        Assert.Contains($"{data}\n\t{session}\n", wchp);
        Assert.Contains($"{missing}\n\t{session}\n", wchp);
        Assert.DoesNotContain(children, wchp);
    }

    [Theory, MemberData(nameof(ServerKinds))]
    public async Task ZooKeepers_zkServer_sh_status_reads_the_mode(string kind)
    {
        var server = await servers.GetAsync(kind);
        var dir = TempDir.Create("zkserver-status");
        try
        {
            var cfg = Path.Combine(dir, "zoo.cfg");
            await File.WriteAllTextAsync(cfg, string.Create(CultureInfo.InvariantCulture,
                $"tickTime=2000\ndataDir={dir}\nclientPort={server.Port}\nclientPortAddress={server.Host}\n"));
            var run = await Tools.RunAsync("/usr/share/zookeeper/bin/zkServer.sh", ["status", cfg], TimeSpan.FromSeconds(60));
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("Mode: standalone", run.Stdout);
        }
        finally
        {
            TempDir.Delete(dir);
        }
    }

    public static TheoryData<string> ServerKinds => Servers.KindData;

    /// <summary>A node, a data watch and an open session, so srvr/wchc/wchp have something to show.</summary>
    private static async Task<RawZkClient> Workload(IServerProcess server)
    {
        var c = await RawZkClient.ConnectAsync(server.Host, server.Port, Timeout);
        var path = $"/shape-{Guid.NewGuid():N}";
        Assert.Equal(0, await c.CreateAsync(path, Encoding.UTF8.GetBytes("x"), [(RawZkClient.AllPerms, "world", "anyone")]));
        var watchedGet = new RawZkClient.Jute().Int(2).Int(4).String(path).Bool(true);
        Assert.Equal(0, (await c.RequestAsync(watchedGet))!.Value.Err);
        return c;
    }

    private static List<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static List<string> Keys(string text, string separator) =>
        Lines(text).Select(l => l.Contains(separator, StringComparison.Ordinal) ? l[..l.IndexOf(separator, StringComparison.Ordinal)] : l).ToList();

    private static List<bool> Kinds(string text, string separator) =>
        Lines(text).Select(l => l.Contains(separator, StringComparison.Ordinal)
            && Number().IsMatch(l[(l.IndexOf(separator, StringComparison.Ordinal) + separator.Length)..].Trim())).ToList();

    private static Dictionary<string, string> Tabbed(string text) =>
        Lines(text).Select(l => l.Split('\t', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");

    /// <summary>H for a header line, T for a tab-indented one, E for the empty line at the end.</summary>
    private static string DumpShape(string text) =>
        string.Concat(text.Split('\n').SkipLast(1).Select(l => l.Length == 0 ? 'E' : l[0] == '\t' ? 'T' : 'H'));

    private static string Shape(string text) => Regex.Replace(text, @"\d+", "N");
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using Coord.Client;
using Coord.Protocol;

namespace Coord.Host.Specs.Admin;

/// <summary>
/// One `coord serve` and one Apache ZooKeeper 3.8 (Debian's, its Jetty AdminServer on), each with a client holding a
/// session, an ephemeral znode and two watches, so every list and map in the answers has an entry.
/// </summary>
public sealed class SideBySide : IAsyncLifetime
{
    internal CoordProcess Coord { get; private set; } = null!;
    internal ZooKeeperWithAdmin ZooKeeper { get; private set; } = null!;
    internal CoordClient CoordSession { get; private set; } = null!;
    internal CoordClient ZooKeeperSession { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var coord = CoordProcess.StartAsync();
        var zookeeper = ZooKeeperWithAdmin.StartAsync();
        Coord = await coord;
        ZooKeeper = await zookeeper;
        CoordSession = await PrepareAsync(Coord.ConnectString);
        ZooKeeperSession = await PrepareAsync(ZooKeeper.ConnectString);
    }

    private static async Task<CoordClient> PrepareAsync(string connectString)
    {
        var zk = await CoordClient.ConnectAsync(connectString);
        await zk.CreateAsync("/a", [1]);
        await zk.CreateAsync("/e", [], mode: CreateMode.Ephemeral);
        await zk.GetDataAsync("/a", _ => { });
        await zk.ExistsAsync("/b", _ => { });
        return zk;
    }

    public async Task DisposeAsync()
    {
        if (CoordSession is not null) await CoordSession.DisposeAsync();
        if (ZooKeeperSession is not null) await ZooKeeperSession.DisposeAsync();
        if (Coord is not null) await Coord.DisposeAsync();
        if (ZooKeeper is not null) await ZooKeeper.DisposeAsync();
    }
}

/// <summary>
/// The AdminServer commands answer what ZooKeeper 3.8's do (org.apache.zookeeper.server.admin.Commands): for every
/// command of issue 14, asked by its four-letter alias, the same status, the same "command" (the primary name) and
/// "error", and the same field names at every depth, compared with a live ZooKeeper's answer to the same request.
/// </summary>
public sealed class AdminCommandSpecs(SideBySide servers) : IClassFixture<SideBySide>
{
    /// <summary>Objects keyed by session id, path, expiry time or server id: their keys are data, not field names.</summary>
    private static readonly HashSet<string> KeyedByData =
        ["session_id_to_watched_paths", "path_to_session_ids", "expiry_time_to_session_ids", "session_id_to_ephemeral_paths", "current_config"];

    public static TheoryData<string> Commands() =>
        ["ruok", "srvr", "server_stats", "stat", "conf", "configuration", "config", "cons", "wchs", "wchc", "wchp", "dump", "envi",
         "environment", "isro", "leader", "voting_view"];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task A_command_answers_with_ZooKeepers_status_command_error_and_field_names(string name)
    {
        var zk = await AdminHttp.GetAsync(servers.ZooKeeper.Admin, "commands/" + name);
        var coord = await AdminHttp.GetAsync(servers.Coord.Admin!, "commands/" + name);

        Assert.Equal((HttpStatusCode.OK, "application/json"), (zk.Status, zk.ContentType));
        Assert.Equal((zk.Status, zk.ContentType), (coord.Status, coord.ContentType));
        Assert.Equal(zk.Json.GetProperty("command").GetString(), coord.Json.GetProperty("command").GetString());
        Assert.Equal(zk.Json.GetProperty("error").ToString(), coord.Json.GetProperty("error").ToString());
        Assert.Equal(Shape(zk.Json), Shape(coord.Json));
    }

    [Fact]
    public async Task Monitor_answers_mntrs_figures_with_ZooKeepers_names_and_Coords_own_under_coord()
    {
        var zk = Shape(( await AdminHttp.GetAsync(servers.ZooKeeper.Admin, "commands/mntr")).Json);
        var coord = (await AdminHttp.GetAsync(servers.Coord.Admin!, "commands/monitor")).Json;
        var fields = Shape(coord);

        // ZooKeeper's own mntr figures (ZooKeeperServer.dumpMonitorValues) are all there...
        string[] core =
        [
            "version", "server_state", "avg_latency", "max_latency", "min_latency", "packets_received", "packets_sent",
            "num_alive_connections", "outstanding_requests", "uptime", "znode_count", "watch_count", "ephemerals_count",
            "approximate_data_size", "global_sessions", "local_sessions", "open_file_descriptor_count", "max_file_descriptor_count",
            "command", "error",
        ];
        Assert.All(core, f => Assert.Contains(f, zk));
        Assert.All(core, f => Assert.Contains(f, fields));
        // ...and every other field is ZooKeeper's name, or Coord's own (coord_..., expired_sessions: mntr's zk_expired_sessions).
        Assert.All(fields, f => Assert.True(zk.Contains(f) || f.StartsWith("coord_", StringComparison.Ordinal) || f == "expired_sessions", f));
        Assert.Equal("monitor", coord.GetProperty("command").GetString());
        Assert.Equal("standalone", coord.GetProperty("server_state").GetString());
        Assert.Equal(1, coord.GetProperty("ephemerals_count").GetInt64());
    }

    [Fact]
    public async Task The_answers_carry_the_servers_own_figures()
    {
        var c = servers.Coord.Admin!;
        long sid = servers.CoordSession.SessionId;
        string session = sid.ToString(CultureInfo.InvariantCulture);

        var conf = (await AdminHttp.GetAsync(c, "commands/conf")).Json;
        Assert.Equal(servers.Coord.ClientPort, conf.GetProperty("client_port").GetInt32());
        Assert.EndsWith("data", conf.GetProperty("data_dir").GetString(), StringComparison.Ordinal);

        var cons = (await AdminHttp.GetAsync(c, "commands/cons")).Json.GetProperty("connections").EnumerateArray().ToList();
        var mine = Assert.Single(cons, e => e.GetProperty("session_id").GetInt64() == sid);
        Assert.StartsWith("127.0.0.1:", mine.GetProperty("remote_socket_address").GetString(), StringComparison.Ordinal);
        Assert.Equal(servers.CoordSession.SessionTimeout.TotalMilliseconds, mine.GetProperty("session_timeout").GetInt32()); // (crst, in another spec, may zero the counts)

        var watches = (await AdminHttp.GetAsync(c, "commands/wchc")).Json.GetProperty("session_id_to_watched_paths");
        Assert.Equal(["/a", "/b"], watches.GetProperty(session).EnumerateArray().Select(p => p.GetString()).Order());
        var byPath = (await AdminHttp.GetAsync(c, "commands/wchp")).Json.GetProperty("path_to_session_ids");
        Assert.Equal([sid], byPath.GetProperty("/a").EnumerateArray().Select(p => p.GetInt64()));
        var dump = (await AdminHttp.GetAsync(c, "commands/dump")).Json;
        Assert.Equal(["/e"], dump.GetProperty("session_id_to_ephemeral_paths").GetProperty(session).EnumerateArray().Select(p => p.GetString()));
        Assert.Contains(dump.GetProperty("expiry_time_to_session_ids").EnumerateObject(), e => e.Value.EnumerateArray().Any(s => s.GetInt64() == sid));

        var srvr = (await AdminHttp.GetAsync(c, "commands/srvr")).Json;
        Assert.Equal(FourLetterWordsVersion, srvr.GetProperty("version").GetString());
        Assert.Equal("standalone", srvr.GetProperty("server_stats").GetProperty("server_state").GetString());
        Assert.True(srvr.GetProperty("server_stats").GetProperty("last_processed_zxid").GetInt64() >= 3); // session, /a, /e
        Assert.Equal("imok", await Net4lw("ruok"));
    }

    [Fact]
    public async Task Srvr_over_HTTP_and_the_four_letter_word_report_the_same_figures()
    {
        var json = (await AdminHttp.GetAsync(servers.Coord.Admin!, "commands/wchs")).Json;
        var word = await Net4lw("wchs");
        Assert.Equal($"{json.GetProperty("num_connections")} connections watching {json.GetProperty("num_paths")} paths\n"
            + $"Total watches:{json.GetProperty("num_total_watches")}\n", word);
        var mntr = (await AdminHttp.GetAsync(servers.Coord.Admin!, "commands/mntr")).Json;
        var lines = (await Net4lw("mntr")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]).ToList();
        // The word prints zk_... keys, the command the same list without the prefix, in the same order.
        Assert.Equal(lines.Select(k => k.StartsWith("zk_", StringComparison.Ordinal) ? k[3..] : k),
            mntr.EnumerateObject().Select(p => p.Name).Where(n => n is not ("command" or "error")));
    }

    [Fact]
    public async Task An_unknown_command_is_404_with_ZooKeepers_error_and_the_reset_commands_answer_like_ZooKeepers()
    {
        var zk = await AdminHttp.GetAsync(servers.ZooKeeper.Admin, "commands/nosuch");
        var coord = await AdminHttp.GetAsync(servers.Coord.Admin!, "commands/nosuch");
        Assert.Equal(HttpStatusCode.OK, zk.Status); // ZooKeeper 3.8 answers 200; Coord says what HTTP means by it
        Assert.Equal(HttpStatusCode.NotFound, coord.Status);
        Assert.Equal(zk.Body.Replace(" ", "").Replace("\n", ""), coord.Body.Replace(" ", "").Replace("\n", ""));
        Assert.Equal(HttpStatusCode.NotFound, (await AdminHttp.GetAsync(servers.Coord.Admin!, "commands/RUOK")).Status); // names are case-sensitive, as ZooKeeper's

        foreach (var reset in new[] { "crst", "srst" })
        {
            var z = await AdminHttp.GetAsync(servers.ZooKeeper.Admin, "commands/" + reset);
            var c = await AdminHttp.GetAsync(servers.Coord.Admin!, "commands/" + reset);
            Assert.Equal(Shape(z.Json), Shape(c.Json));
            Assert.Equal(z.Json.GetProperty("command").GetString(), c.Json.GetProperty("command").GetString());
        }
        Assert.Equal(HttpStatusCode.MethodNotAllowed, await AdminHttp.PostAsync(servers.Coord.Admin!, "commands/ruok"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, await AdminHttp.PostAsync(servers.ZooKeeper.Admin, "commands/ruok"));
    }

    [Fact]
    public async Task Commands_lists_a_link_per_command_and_every_link_answers_200()
    {
        var list = await AdminHttp.GetAsync(servers.Coord.Admin!, "commands");
        Assert.Equal(HttpStatusCode.OK, list.Status);
        var names = System.Text.RegularExpressions.Regex.Matches(list.Body, "<a href=\"/commands/([a-z_]+)\">\\1</a>").Select(m => m.Groups[1].Value).ToList();
        string[] expected =
        [
            "configuration", "connection_stat_reset", "connections", "dump", "environment", "is_read_only", "leader", "monitor",
            "ruok", "server_stats", "stat_reset", "stats", "voting_view", "watch_summary", "watches", "watches_by_path",
        ];
        Assert.Equal(expected, names);
        // ZooKeeper lists these too (it has more: dirs, hash, zabstate, ...).
        var zk = await AdminHttp.GetAsync(servers.ZooKeeper.Admin, "commands");
        Assert.All(expected, n => Assert.Contains($"/commands/{n}\"", zk.Body));
        foreach (var name in names) Assert.Equal(HttpStatusCode.OK, (await AdminHttp.GetAsync(servers.Coord.Admin!, "commands/" + name)).Status);
    }

    private const string FourLetterWordsVersion = Coord.Host.Admin.FourLetterWords.Version;

    private Task<string> Net4lw(string word) => Coord.Interop.Specs.Harness.Net.FourLetterWordAsync("127.0.0.1", servers.Coord.ClientPort, word);

    /// <summary>Every field name at every depth ("server_stats.packets_sent", "connections[].session_id"); the keys of
    /// maps keyed by data are "*".</summary>
    internal static SortedSet<string> Shape(JsonElement e)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        Walk(e, "", byData: false, names);
        return names;
    }

    private static void Walk(JsonElement e, string prefix, bool byData, SortedSet<string> names)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    var name = prefix + (byData ? "*" : p.Name);
                    names.Add(name);
                    Walk(p.Value, name + ".", byData: prefix.Length == 0 && KeyedByData.Contains(p.Name), names);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray()) Walk(item, prefix.TrimEnd('.') + "[].", byData: false, names);
                break;
        }
    }
}

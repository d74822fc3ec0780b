using System.Globalization;
using System.Text.Json;
using Coord.Actors.Applier;

namespace Coord.Host.Admin.Http;

/// <summary>What one admin command answered: its HTTP status and its JSON body.</summary>
public sealed record CommandResult(int Status, byte[] Json);

/// <summary>
/// ZooKeeper 3.8's AdminServer commands (org.apache.zookeeper.server.admin.Commands) over <see cref="AdminFigures"/>, the
/// figures the four-letter words print: each is reachable by its name and its aliases (srvr is server_stats, mntr is
/// monitor, ...), answers a JSON object with ZooKeeper's field names, and ends with ZooKeeper's "command" (the
/// command's primary name, whatever alias was asked) and "error" (null, or what went wrong). Two deliberate
/// differences from ZooKeeper 3.8, whose every answer is 200: an unknown command is 404, and a command that needs the
/// server while it is not serving (starting, or shutting down) is 503; the body is ZooKeeper's either way.
/// The four-letter-word whitelist does not apply here, as in ZooKeeper (its AdminServer has its own switch:
/// coord.admin.enabled, and listens on 127.0.0.1 by default).
/// </summary>
public sealed class AdminCommands(ServerLifecycle lifecycle)
{
    private delegate Task<string?> Handler(Utf8JsonWriter w, AdminFigures? f, CancellationToken ct);

    private sealed record Command(string Name, string[] Aliases, bool NeedsServer, Handler Run);

    /// <summary>ZooKeeper's "server is not initialized": the leader command on a server that is not in a quorum.</summary>
    public const string NoLeaderError = "server is not initialized";

    /// <summary>ZooKeeper's answer to a command that needs a running server.</summary>
    public const string NotServingError = "This ZooKeeper instance is not currently serving requests";

    private readonly Command[] _commands =
    [
        new("configuration", ["conf", "config"], true, (w, f, _) => Done(Configuration(w, f!))),
        new("connection_stat_reset", ["crst"], true, (_, f, _) => { f!.ResetConnectionStats(); return Done(); }),
        new("connections", ["cons"], true, (w, f, _) => Done(Connections(w, f!))),
        new("dump", [], true, Dump),
        new("environment", ["env", "envi"], false, (w, _, _) => Done(Environment(w))),
        new("is_read_only", ["isro"], true, (w, _, _) => Done(() => w.WriteBoolean("read_only", false))),
        new("leader", ["lead"], true, (w, f, _) => Task.FromResult(Leader(w, f!.Role))),
        new("monitor", ["mntr"], true, Monitor),
        new("ruok", [], true, (_, _, _) => Done()),
        new("server_stats", ["srvr"], true, (w, f, ct) => ServerStats(w, f!, withConnections: false, ct)),
        new("stat_reset", ["srst"], true, (_, f, _) => { f!.ResetServerStats(); return Done(); }),
        new("stats", ["stat"], true, (w, f, ct) => ServerStats(w, f!, withConnections: true, ct)),
        new("voting_view", [], true, (w, f, _) => Done(VotingView(w, f!.Role))),
        new("watch_summary", ["wchs"], true, WatchSummary),
        new("watches", ["wchc"], true, Watches),
        new("watches_by_path", ["wchp"], true, WatchesByPath),
    ];

    /// <summary>The primary names, sorted as ZooKeeper lists them at /commands.</summary>
    public IReadOnlyList<string> Names => [.. _commands.Select(c => c.Name).Order(StringComparer.Ordinal)];

    /// <summary>Every name a command answers to (primary names and aliases).</summary>
    public IReadOnlyList<string> AllNames => [.. _commands.SelectMany(c => c.Aliases.Prepend(c.Name))];

    /// <summary>Runs the command named <paramref name="name"/> (case-sensitive, as ZooKeeper's).</summary>
    public async Task<CommandResult> RunAsync(string name, CancellationToken ct)
    {
        var command = Array.Find(_commands, c => c.Name == name || Array.IndexOf(c.Aliases, name) >= 0);
        if (command is null) return Error(404, name, "Unknown command: " + name);
        var figures = lifecycle.Figures;
        if (command.NeedsServer && figures is null) return Error(503, command.Name, NotServingError);
        using var buffer = new MemoryStream();
        await using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            var error = await command.Run(w, figures, ct);
            w.WriteString("command", command.Name);
            if (error is null) w.WriteNull("error");
            else w.WriteString("error", error);
            w.WriteEndObject();
        }
        return new CommandResult(200, buffer.ToArray());
    }

    private static CommandResult Error(int status, string name, string error)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("command", name);
            w.WriteString("error", error);
            w.WriteEndObject();
        }
        return new CommandResult(status, buffer.ToArray());
    }

    private static Task<string?> Done(Action? write = null)
    {
        write?.Invoke();
        return Task.FromResult<string?>(null);
    }

    /// <summary>ZooKeeperServerConf.toMap.</summary>
    private static Action Configuration(Utf8JsonWriter w, AdminFigures f) => () =>
    {
        var facts = f.Facts;
        w.WriteNumber("client_port", facts.ClientPort);
        w.WriteString("data_dir", facts.DataDir);
        w.WriteString("data_log_dir", facts.DataDir);
        w.WriteNumber("tick_time", facts.TickMs);
        w.WriteNumber("max_client_cnxns", facts.MaxClientCnxns);
        w.WriteNumber("min_session_timeout", facts.MinSessionTimeoutMs);
        w.WriteNumber("max_session_timeout", facts.MaxSessionTimeoutMs);
        w.WriteNumber("server_id", facts.ServerId);
        w.WriteNumber("client_port_listen_backlog", facts.ListenBacklog);
    };

    /// <summary>Every connection in full (ServerCnxn.getConnectionInfo(false)); Coord has no TLS port, so
    /// secure_connections is always empty.</summary>
    private static Action Connections(Utf8JsonWriter w, AdminFigures f) => () =>
    {
        WriteConnections(w, f, brief: false);
        w.WriteStartArray("secure_connections");
        w.WriteEndArray();
    };

    private static void WriteConnections(Utf8JsonWriter w, AdminFigures f, bool brief)
    {
        w.WriteStartArray("connections");
        foreach (var c in f.Connections)
        {
            var x = c.Figures();
            w.WriteStartObject();
            w.WriteString("remote_socket_address", c.RemoteEndPoint);
            w.WriteNumber("interest_ops", x.Reading ? 1 : 0);
            w.WriteNumber("outstanding_requests", x.Outstanding);
            w.WriteNumber("packets_received", x.Received);
            w.WriteNumber("packets_sent", x.Sent);
            if (!brief)
            {
                w.WriteNumber("session_id", x.SessionId);
                w.WriteString("last_operation", AdminFigures.ShortName(x.LastOp));
                w.WriteNumber("established", x.EstablishedAtMs);
                w.WriteNumber("session_timeout", x.SessionTimeoutMs);
                w.WriteNumber("last_cxid", x.LastCxid);
                w.WriteNumber("last_zxid", x.LastZxid);
                w.WriteNumber("last_response_time", x.LastResponseMs);
                w.WriteNumber("last_latency", x.LastLatencyMs);
                w.WriteNumber("min_latency", x.MinLatencyMs);
                w.WriteNumber("avg_latency", x.AvgLatencyMs);
                w.WriteNumber("max_latency", x.MaxLatencyMs);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static async Task<string?> Dump(Utf8JsonWriter w, AdminFigures? f, CancellationToken ct)
    {
        var (expiry, ephemerals) = await f!.DumpAsync(ct);
        w.WriteStartObject("expiry_time_to_session_ids");
        foreach (var (at, sessions) in expiry.Expiry)
        {
            w.WriteStartArray(at.ToString(CultureInfo.InvariantCulture));
            foreach (var sid in sessions) w.WriteNumberValue(sid);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteStartObject("session_id_to_ephemeral_paths");
        foreach (var (sid, paths) in ephemerals.Ephemerals)
        {
            w.WriteStartArray(sid.ToString(CultureInfo.InvariantCulture));
            foreach (var p in paths) w.WriteStringValue(p);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        return null;
    }

    private static Action Environment(Utf8JsonWriter w) => () =>
    {
        foreach (var (k, v) in AdminFigures.Environment()) w.WriteString(k, v);
    };

    /// <summary>The leader as ZooKeeper's LeaderCommand shows it; no leader (standalone) is its error.</summary>
    private static string? Leader(Utf8JsonWriter w, IMemberRole role)
    {
        if (role.Leader is not { } leader) return NoLeaderError;
        w.WriteBoolean("is_leader", leader.IsLeader);
        w.WriteNumber("leader_id", leader.LeaderId);
        w.WriteString("leader_ip", leader.LeaderIp);
        return null;
    }

    /// <summary>mntr's figures (the four-letter word's list) without the "zk_" prefix, as ZooKeeper's MonitorCommand.</summary>
    private static async Task<string?> Monitor(Utf8JsonWriter w, AdminFigures? f, CancellationToken ct)
    {
        var stats = await f!.CoreStatsAsync(ct);
        foreach (var (key, value) in f.Monitor(stats))
        {
            var name = key.StartsWith("zk_", StringComparison.Ordinal) ? key[3..] : key;
            switch (value)
            {
                case long n: w.WriteNumber(name, n); break;
                case double d: w.WriteNumber(name, Math.Round(d, 4)); break;
                default: w.WriteString(name, value.ToString()); break;
            }
        }
        return null;
    }

    /// <summary>server_stats (srvr) and stats (stat): ZooKeeper's SrvrCommand fields, with ServerStats' getters as
    /// Jackson names them. Coord does not measure response sizes: the buffer figures are -1, as ZooKeeper's before its
    /// first response. Coord has no TLS, so the mTLS counts are 0, as ZooKeeper's without a secure port.</summary>
    private static async Task<string?> ServerStats(Utf8JsonWriter w, AdminFigures f, bool withConnections, CancellationToken ct)
    {
        var s = await f.CoreStatsAsync(ct);
        var stats = f.Stats;
        var (min, avg, max, _) = stats.Latency.Snapshot();
        long dirSize = AdminFigures.DirectorySize(f.Facts.DataDir);
        w.WriteString("version", AdminFigures.Version);
        w.WriteBoolean("read_only", false);
        w.WriteStartObject("server_stats");
        w.WriteNumber("packets_sent", stats.Sent);
        w.WriteNumber("packets_received", stats.Received);
        w.WriteNumber("fsync_threshold_exceed_count", f.Counters.SlowAppends);
        WriteBufferStats(w, "client_response_stats");
        w.WriteNumber("data_dir_size", dirSize);
        w.WriteNumber("log_dir_size", dirSize);
        w.WriteBoolean("provider_null", false);
        w.WriteString("server_state", f.Role.ServerState);
        w.WriteNumber("last_processed_zxid", s.LastZxid);
        w.WriteNumber("outstanding_requests", s.OutstandingRequests);
        w.WriteNumber("avg_latency", Math.Round(avg, 4));
        w.WriteNumber("max_latency", (long)max);
        w.WriteNumber("min_latency", (long)min);
        w.WriteNumber("num_alive_client_connections", f.ConnectionCount);
        w.WriteNumber("uptime", f.UptimeMs);
        w.WriteNumber("auth_failed_count", 0);
        w.WriteNumber("non_mtlsremote_conn_count", 0);
        w.WriteNumber("non_mtlslocal_conn_count", 0);
        w.WriteEndObject();
        WriteBufferStats(w, "client_response");
        w.WriteNumber("node_count", s.NodeCount);
        if (withConnections)
        {
            WriteConnections(w, f, brief: true);
            w.WriteStartArray("secure_connections");
            w.WriteEndArray();
        }
        return null;
    }

    private static void WriteBufferStats(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        w.WriteNumber("last_buffer_size", -1);
        w.WriteNumber("min_buffer_size", -1);
        w.WriteNumber("max_buffer_size", -1);
        w.WriteEndObject();
    }

    /// <summary>voting_view: the voting members by id (empty standalone), each as ZooKeeper's QuorumServerView.</summary>
    private static Action VotingView(Utf8JsonWriter w, IMemberRole role) => () =>
    {
        w.WriteStartObject("current_config");
        foreach (var m in role.VotingView)
        {
            w.WriteStartObject(m.ServerId.ToString(CultureInfo.InvariantCulture));
            w.WriteStartArray("server_addresses");
            foreach (var a in m.ServerAddresses) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteStartArray("election_addresses");
            foreach (var a in m.ElectionAddresses) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteString("client_address", m.ClientAddress);
            w.WriteString("learner_type", m.LearnerType);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    };

    private static async Task<string?> WatchSummary(Utf8JsonWriter w, AdminFigures? f, CancellationToken ct)
    {
        var (connections, paths, watches) = (await f!.WatchesAsync(ct)).Summary;
        w.WriteNumber("num_connections", connections);
        w.WriteNumber("num_paths", paths);
        w.WriteNumber("num_total_watches", watches);
        return null;
    }

    private static async Task<string?> Watches(Utf8JsonWriter w, AdminFigures? f, CancellationToken ct)
    {
        WatchReport report = await f!.WatchesAsync(ct);
        w.WriteStartObject("session_id_to_watched_paths");
        foreach (var (sid, paths) in report.BySession)
        {
            w.WriteStartArray(sid.ToString(CultureInfo.InvariantCulture));
            foreach (var p in paths) w.WriteStringValue(p);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        return null;
    }

    private static async Task<string?> WatchesByPath(Utf8JsonWriter w, AdminFigures? f, CancellationToken ct)
    {
        WatchReport report = await f!.WatchesAsync(ct);
        w.WriteStartObject("path_to_session_ids");
        foreach (var (path, sessions) in report.ByPath)
        {
            w.WriteStartArray(path);
            foreach (var sid in sessions) w.WriteNumberValue(sid);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        return null;
    }
}

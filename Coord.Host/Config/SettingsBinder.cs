using System.Globalization;
using Coord.Actors.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Coord.Host.Config;

/// <summary>
/// Hand-written binder from flattened configuration keys to <see cref="CoordSettings"/>: the schema is
/// explicit here (no reflection), unknown keys under <c>coord</c> are errors with a suggestion, and
/// every problem is collected before throwing <see cref="CoordConfigException"/>.
/// </summary>
public static class SettingsBinder
{
    /// <summary>Every leaf key under coord, in configuration form (<c>coord:client:port</c>).</summary>
    public static IReadOnlyList<string> LeafKeys { get; } =
    [
        "coord:server-id", "coord:data-dir", "coord:tick-ms",
        "coord:client:host", "coord:client:port", "coord:client:frame-bytes-max", "coord:client:outstanding-requests-max",
        "coord:client:outbound-bytes-max",
        "coord:client:connections-per-ip-max", "coord:client:listen-backlog",
        "coord:session:timeout-ms-min", "coord:session:timeout-ms-max", "coord:session:sessions-max",
        "coord:znode:extended-types-enabled", "coord:znode:container-check-interval-ms", "coord:znode:container-max-per-minute",
        "coord:auth:super-digest", "coord:auth:exists-requires-read",
        "coord:four-letter-words:whitelist",
        "coord:logging:level", "coord:logging:format",
        "coord:snapshot:every-txns", "coord:snapshot:every-mib", "coord:snapshot:retain", "coord:snapshot:min-txns-per-znode",
        "coord:ensemble:init-limit-ticks", "coord:ensemble:sync-limit-ticks",
        "coord:ensemble:cluster:enabled", "coord:ensemble:cluster:acceptable-heartbeat-pause-ms", "coord:ensemble:cluster:stable-after-ms",
        "coord:admin:enabled", "coord:admin:host", "coord:admin:port",
    ];

    /// <summary>coord.ensemble.members: an object whose keys are member ids, each an object of <see cref="MemberKeys"/>.</summary>
    public const string MembersKey = "coord:ensemble:members";

    /// <summary>The keys of one member, coord.ensemble.members.&lt;id&gt;.&lt;key&gt;.</summary>
    public static IReadOnlyList<string> MemberKeys { get; } = ["host", "peer-port", "election-port", "role", "client-host", "client-port"];

    private const string WhitelistKey = "coord:four-letter-words:whitelist";

    private static readonly string[] Sections =
        ["coord:client", "coord:session", "coord:znode", "coord:auth", "coord:four-letter-words", "coord:logging", "coord:snapshot", "coord:ensemble", "coord:ensemble:cluster", "coord:admin"];

    /// <summary>The dotted HOCON spelling of a configuration key, as operators write it.</summary>
    public static string Dotted(string key) => key.Replace(':', '.');

    /// <param name="describeSource">Says where a key's value came from ("environment variable COORD_X"), for error messages.</param>
    public static CoordSettings Bind(IConfiguration configuration, Func<string, string?>? describeSource = null)
    {
        var r = new Reader(configuration, describeSource ?? (_ => null));
        CheckKeys(configuration.GetSection("coord"), r);
        var d = CoordSettings.Default;
        var tickMs = r.Int("coord:tick-ms", d.TickMs);
        var serverId = r.Int("coord:server-id", d.ServerId);
        var settings = new CoordSettings(
            ServerId: serverId,
            DataDir: r.String("coord:data-dir", d.DataDir),
            TickMs: tickMs,
            Client: new ClientSettings(
                Host: r.String("coord:client:host", d.Client.Host),
                Port: r.Int("coord:client:port", d.Client.Port),
                FrameBytesMax: r.Int("coord:client:frame-bytes-max", d.Client.FrameBytesMax),
                OutstandingRequestsMax: r.Int("coord:client:outstanding-requests-max", d.Client.OutstandingRequestsMax),
                ConnectionsPerIpMax: r.Int("coord:client:connections-per-ip-max", d.Client.ConnectionsPerIpMax),
                ListenBacklog: r.Int("coord:client:listen-backlog", d.Client.ListenBacklog),
                OutboundBytesMax: r.Long("coord:client:outbound-bytes-max", d.Client.OutboundBytesMax)),
            Session: SessionSettings.ForTick(
                tickMs > 0 && tickMs <= CoordSettingsValidation.TickMsMax ? tickMs : CoordSettings.TickMsDefault,
                r.NullableInt("coord:session:timeout-ms-min"),
                r.NullableInt("coord:session:timeout-ms-max"),
                r.Int("coord:session:sessions-max", d.Session.SessionsMax)),
            Znode: new ZnodeSettings(
                ExtendedTypesEnabled: r.Bool("coord:znode:extended-types-enabled", d.Znode.ExtendedTypesEnabled),
                ContainerCheckIntervalMs: r.Int("coord:znode:container-check-interval-ms", d.Znode.ContainerCheckIntervalMs),
                ContainerMaxPerMinute: r.Int("coord:znode:container-max-per-minute", d.Znode.ContainerMaxPerMinute)),
            Auth: new AuthSettings(
                r.String("coord:auth:super-digest", d.Auth.SuperDigest, allowEmpty: true),
                r.Bool("coord:auth:exists-requires-read", d.Auth.ExistsRequiresRead)),
            FourLetterWords: new FourLetterWordSettings(r.List(WhitelistKey, d.FourLetterWords.Whitelist)),
            Logging: new LoggingSettings(r.Level("coord:logging:level", d.Logging.Level), r.Format("coord:logging:format", d.Logging.Format)),
            Snapshot: new SnapshotSettings(
                EveryTxns: r.Int("coord:snapshot:every-txns", d.Snapshot.EveryTxns),
                EveryMib: r.Int("coord:snapshot:every-mib", d.Snapshot.EveryMib),
                Retain: r.Int("coord:snapshot:retain", d.Snapshot.Retain),
                MinTxnsPerZnode: r.Int("coord:snapshot:min-txns-per-znode", d.Snapshot.MinTxnsPerZnode)),
            Admin: new AdminSettings(
                Enabled: r.Bool("coord:admin:enabled", d.Admin.Enabled),
                Host: r.String("coord:admin:host", d.Admin.Host),
                Port: r.Int("coord:admin:port", d.Admin.Port)),
            Ensemble: Ensemble(r, serverId));

        // Range checks on values that did not even parse would only repeat the parse error.
        if (r.Errors.Count == 0) r.Errors.AddRange(settings.Validate(r.Source));
        if (r.Errors.Count > 0) throw new CoordConfigException(r.Errors);
        return settings;
    }

    /// <summary>coord.ensemble, or null when it lists no members (a standalone server). The own id is coord.server-id.</summary>
    private static EnsembleSettings? Ensemble(Reader r, int serverId)
    {
        var initLimitTicks = r.Int("coord:ensemble:init-limit-ticks", EnsembleSettings.InitLimitTicksDefault);
        var syncLimitTicks = r.Int("coord:ensemble:sync-limit-ticks", EnsembleSettings.SyncLimitTicksDefault);
        var members = new List<EnsembleMember>();
        foreach (var entry in r.Section(MembersKey).GetChildren())
        {
            // Keys that are not ids, and members that are not objects, were reported by CheckKeys.
            if (!long.TryParse(entry.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || entry.Value is not null) continue;
            var key = entry.Path;
            var host = r.Required(key + ":host", "the address of the member's peer port, e.g. host = \"10.0.0.1\"");
            var peerPort = r.Required(key + ":peer-port", "the port the member's peers connect to, e.g. peer-port = 2888") is not null
                ? r.Int(key + ":peer-port", 0) : 0;
            members.Add(new EnsembleMember(
                Id: id,
                Host: Unbracket(host ?? ""),
                PeerPort: peerPort,
                ElectionPort: r.Int(key + ":election-port", 0),
                Observer: r.Role(key + ":role"),
                ClientHost: r.Optional(key + ":client-host") is { } clientHost ? Unbracket(clientHost) : null,
                ClientPort: r.Int(key + ":client-port", 0)));
        }
        var d = EnsembleClusterSettings.Default;
        var cluster = new EnsembleClusterSettings(
            r.Cluster("coord:ensemble:cluster:enabled", d.Enabled),
            r.Int("coord:ensemble:cluster:acceptable-heartbeat-pause-ms", d.AcceptableHeartbeatPauseMs),
            r.Int("coord:ensemble:cluster:stable-after-ms", d.StableAfterMs));
        return members.Count == 0
            ? null
            : new EnsembleSettings(serverId, [.. members.OrderBy(m => m.Id)], initLimitTicks, syncLimitTicks) { Cluster = cluster };
    }

    /// <summary>IPv6 may be written in brackets, as in a zoo.cfg; the settings hold the bare address.</summary>
    private static string Unbracket(string host)
    {
        var trimmed = host.Trim();
        return trimmed.Length > 2 && trimmed[0] == '[' && trimmed[^1] == ']' ? trimmed[1..^1] : trimmed;
    }

    private static void CheckKeys(IConfigurationSection coord, Reader r)
    {
        foreach (var child in coord.GetChildren()) CheckKey(child, r);
    }

    private static void CheckKey(IConfigurationSection section, Reader r)
    {
        var path = section.Path;
        if (string.Equals(path, MembersKey, StringComparison.OrdinalIgnoreCase))
        {
            CheckMembers(section, r);
            return;
        }
        if (Sections.Contains(path, StringComparer.OrdinalIgnoreCase))
        {
            if (!string.IsNullOrEmpty(section.Value))
                r.Errors.Add($"{Dotted(path)} must be an object {{ ... }}, found the value '{section.Value}'{r.Source(path)}");
            foreach (var child in section.GetChildren()) CheckKey(child, r);
            return;
        }
        if (string.Equals(path, WhitelistKey, StringComparison.OrdinalIgnoreCase))
        {
            foreach (var item in section.GetChildren())
            {
                if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _) || item.GetChildren().Any())
                    r.Errors.Add($"{Dotted(item.Path)}: {Dotted(path)} must be a list of words, e.g. [\"ruok\", \"mntr\"]{r.Source(item.Path)}");
            }
            return;
        }
        if (LeafKeys.Contains(path, StringComparer.OrdinalIgnoreCase))
        {
            if (section.GetChildren().Any())
                r.Errors.Add($"{Dotted(path)} must be a single value, found an object or list{r.Source(section.GetChildren().First().Path)}");
            return;
        }
        var known = LeafKeys.Concat(Sections);
        var closest = known.MinBy(k => EditDistance.Between(k, path))!;
        var where = section.Value is null && section.GetChildren().Any() ? r.Source(FirstLeaf(section)) : r.Source(path);
        r.Errors.Add($"unknown key {Dotted(path)}{where}; did you mean {Dotted(closest)}?");
    }

    private static void CheckMembers(IConfigurationSection members, Reader r)
    {
        const string Example = "{ 1 { host = \"10.0.0.1\", peer-port = 2888 } 2 { ... } }";
        if (members.Value is not null)
        {
            r.Errors.Add($"{Dotted(members.Path)} must be an object {Example}, found '{members.Value}'{r.Source(members.Path)}; write members {{}} for a standalone server");
            return;
        }
        foreach (var member in members.GetChildren())
        {
            var path = member.Path;
            if (!long.TryParse(member.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                r.Errors.Add($"{Dotted(path)}: a member's key is its id, a whole number from 1 to {EnsembleSettings.MemberIdMax} (ZooKeeper's server.N), found '{member.Key}'{r.Source(FirstLeaf(member))}");
                continue;
            }
            if (member.Value is not null)
            {
                r.Errors.Add($"{Dotted(path)} must be an object {{ host = \"10.0.0.1\", peer-port = 2888 }}, found '{member.Value}'{r.Source(path)}");
                continue;
            }
            foreach (var field in member.GetChildren())
            {
                if (!MemberKeys.Contains(field.Key, StringComparer.OrdinalIgnoreCase))
                {
                    var closest = MemberKeys.MinBy(k => EditDistance.Between(k, field.Key))!;
                    r.Errors.Add($"unknown key {Dotted(field.Path)}{r.Source(FirstLeaf(field))}; did you mean {Dotted(path)}.{closest}? (a member has {string.Join(", ", MemberKeys)})");
                }
                else if (field.GetChildren().Any())
                    r.Errors.Add($"{Dotted(field.Path)} must be a single value, found an object or list{r.Source(FirstLeaf(field))}");
            }
        }
    }

    private static string FirstLeaf(IConfigurationSection section)
    {
        while (section.GetChildren().FirstOrDefault() is { } child) section = child;
        return section.Path;
    }

    /// <summary>Reads typed values, collecting one message per bad value.</summary>
    private sealed class Reader(IConfiguration configuration, Func<string, string?> describeSource)
    {
        public List<string> Errors { get; } = [];

        public string Source(string key) => describeSource(key) is { } s ? $" (from {s})" : "";

        public IConfigurationSection Section(string key) => configuration.GetSection(key);

        /// <summary>A value that must be present and not empty; null (and an error that says what to write) otherwise.</summary>
        public string? Required(string key, string what)
        {
            var raw = Raw(key, out _);
            if (raw is null && configuration.GetSection(key).GetChildren().Any()) return null; // an object: CheckKeys said so
            if (raw is null || raw.Trim().Length == 0)
            {
                var member = key[..key.LastIndexOf(':')];
                Errors.Add($"{Dotted(key)} is missing{Source(member + ":" + FirstKeyOf(member))}: every member needs it ({what})");
                return null;
            }
            return raw;
        }

        /// <summary>A value that may be left out; null when absent, null or empty.</summary>
        public string? Optional(string key)
        {
            var raw = Raw(key, out _);
            return raw is null || raw.Trim().Length == 0 ? null : raw.Trim();
        }

        /// <summary>role = participant (a voter; the default) or observer.</summary>
        public bool Role(string key)
        {
            var raw = Raw(key, out _);
            if (raw is null) return false;
            switch (raw.Trim().ToLowerInvariant())
            {
                case "participant": return false;
                case "observer": return true;
            }
            Errors.Add(Bad(key, raw, "participant (a voting member) or observer (a non-voting member that serves reads)"));
            return false;
        }

        /// <summary>coord.ensemble.cluster.enabled: auto, or a boolean (on/off, true/false, yes/no).</summary>
        public ClusterMode Cluster(string key, ClusterMode fallback)
        {
            var raw = Raw(key, out var explicitNull);
            if (explicitNull) { Errors.Add($"{Dotted(key)} must not be null{Source(key)}: expected auto, on or off"); return fallback; }
            if (raw is null) return fallback;
            switch (raw.Trim().ToLowerInvariant())
            {
                case "auto": return ClusterMode.Auto;
                case "true" or "yes" or "on": return ClusterMode.On;
                case "false" or "no" or "off": return ClusterMode.Off;
            }
            Errors.Add(Bad(key, raw, "auto (on when every member names an election-port), on or off"));
            return fallback;
        }

        /// <summary>The name of some key set under <paramref name="section"/>, so a message can say where that section came from.</summary>
        private string FirstKeyOf(string section) =>
            configuration.GetSection(section).GetChildren().FirstOrDefault()?.Key ?? "";

        /// <summary>Null when the key is absent or explicitly null; <paramref name="explicitNull"/> tells the two apart.</summary>
        private string? Raw(string key, out bool explicitNull)
        {
            var value = configuration[key];
            explicitNull = value is null && configuration is IConfigurationRoot root
                && root.Providers.Reverse().FirstOrDefault(p => p.TryGet(key, out _)) is { } provider
                && provider.TryGet(key, out var v) && v is null;
            return value;
        }

        private string Bad(string key, string value, string expected) =>
            $"{Dotted(key)} = '{value}'{Source(key)}: expected {expected}";

        public int Int(string key, int fallback)
        {
            var raw = Raw(key, out var explicitNull);
            if (explicitNull) { Errors.Add($"{Dotted(key)} must not be null{Source(key)}: expected an integer"); return fallback; }
            if (raw is null) return fallback;
            if (int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)) return v;
            Errors.Add(Bad(key, raw, "an integer"));
            return fallback;
        }

        public LogFormat Format(string key, LogFormat fallback)
        {
            var raw = Raw(key, out _);
            if (raw is null) return fallback;
            switch (raw.Trim().ToLowerInvariant())
            {
                case "line": return LogFormat.Line;
                case "json": return LogFormat.Json;
            }
            Errors.Add(Bad(key, raw, "\"line\" or \"json\""));
            return fallback;
        }

        public long Long(string key, long fallback)
        {
            var raw = Raw(key, out var explicitNull);
            if (explicitNull) { Errors.Add($"{Dotted(key)} must not be null{Source(key)}: expected an integer"); return fallback; }
            if (raw is null) return fallback;
            if (long.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)) return v;
            Errors.Add(Bad(key, raw, "an integer"));
            return fallback;
        }

        public int? NullableInt(string key)
        {
            var raw = Raw(key, out _);
            if (raw is null || raw.Trim() == "null") return null;
            if (int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)) return v;
            Errors.Add(Bad(key, raw, "an integer or null"));
            return null;
        }

        public bool Bool(string key, bool fallback)
        {
            var raw = Raw(key, out var explicitNull);
            if (explicitNull) { Errors.Add($"{Dotted(key)} must not be null{Source(key)}: expected true or false"); return fallback; }
            if (raw is null) return fallback;
            // HOCON accepts yes/no and on/off as booleans too.
            switch (raw.Trim().ToLowerInvariant())
            {
                case "true" or "yes" or "on": return true;
                case "false" or "no" or "off": return false;
            }
            Errors.Add(Bad(key, raw, "true or false"));
            return fallback;
        }

        public string String(string key, string fallback, bool allowEmpty = false)
        {
            var raw = Raw(key, out var explicitNull);
            if (explicitNull) { Errors.Add($"{Dotted(key)} must not be null{Source(key)}: expected a string"); return fallback; }
            if (raw is null) return fallback;
            if (!allowEmpty && raw.Trim().Length == 0) Errors.Add($"{Dotted(key)} must not be empty{Source(key)}");
            return raw;
        }

        /// <summary>A list key holds items at key:0, key:1 ...; a scalar there (env, command line) is a comma-separated list and wins.</summary>
        public IReadOnlyList<string> List(string key, IReadOnlyList<string> fallback)
        {
            var section = configuration.GetSection(key);
            if (section.Value is not null)
                return section.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var items = section.GetChildren()
                .Where(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                .OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture))
                .Select(c => c.Value?.Trim() ?? "")
                .ToList();
            return items.Count == 0 ? fallback : items;
        }

        public LogLevel Level(string key, LogLevel fallback)
        {
            var raw = Raw(key, out _);
            if (raw is null) return fallback;
            if (Enum.TryParse<LogLevel>(raw.Trim(), ignoreCase: true, out var level) && Enum.IsDefined(level) && !int.TryParse(raw, out _))
                return level;
            Errors.Add(Bad(key, raw, $"one of {string.Join(", ", Enum.GetNames<LogLevel>())}"));
            return fallback;
        }
    }
}

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
        "coord:admin:enabled", "coord:admin:host", "coord:admin:port",
    ];

    private const string WhitelistKey = "coord:four-letter-words:whitelist";

    private static readonly string[] Sections =
        ["coord:client", "coord:session", "coord:znode", "coord:auth", "coord:four-letter-words", "coord:logging", "coord:snapshot", "coord:admin"];

    /// <summary>The dotted HOCON spelling of a configuration key, as operators write it.</summary>
    public static string Dotted(string key) => key.Replace(':', '.');

    /// <param name="describeSource">Says where a key's value came from ("environment variable COORD_X"), for error messages.</param>
    public static CoordSettings Bind(IConfiguration configuration, Func<string, string?>? describeSource = null)
    {
        var r = new Reader(configuration, describeSource ?? (_ => null));
        CheckKeys(configuration.GetSection("coord"), r);
        var d = CoordSettings.Default;
        var tickMs = r.Int("coord:tick-ms", d.TickMs);
        var settings = new CoordSettings(
            ServerId: r.Int("coord:server-id", d.ServerId),
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
                Port: r.Int("coord:admin:port", d.Admin.Port)));

        // Range checks on values that did not even parse would only repeat the parse error.
        if (r.Errors.Count == 0) r.Errors.AddRange(settings.Validate());
        if (r.Errors.Count > 0) throw new CoordConfigException(r.Errors);
        return settings;
    }

    private static void CheckKeys(IConfigurationSection coord, Reader r)
    {
        foreach (var child in coord.GetChildren()) CheckKey(child, r);
    }

    private static void CheckKey(IConfigurationSection section, Reader r)
    {
        var path = section.Path;
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

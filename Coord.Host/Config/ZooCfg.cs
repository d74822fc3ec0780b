using System.Globalization;
using System.Text;

namespace Coord.Host.Config;

/// <summary>The coord:... keys read from a zoo.cfg, what was not carried over (<see cref="Warnings"/>), and what
/// must stop the start (<see cref="Errors"/>). <see cref="Sources"/> says where each key came from ("zoo.cfg:7", or
/// the myid file), for messages.</summary>
public sealed record ZooCfgTranslation(
    IReadOnlyDictionary<string, string?> Values,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> Errors,
    IReadOnlyDictionary<string, string>? Sources = null);

/// <summary>
/// Reads a ZooKeeper <c>zoo.cfg</c> (Java properties syntax) so an existing deployment can move to Coord
/// with its config file. Keys Coord has no equivalent for are warnings, not errors: a migration should
/// start and say what it ignored. What ZooKeeper 3.8 itself refuses stops the start here too.
/// </summary>
/// <remarks>
/// The ensemble (<c>server.N</c> lines, initLimit, syncLimit, peerType, dataDir/myid) is read as ZooKeeper's
/// QuorumPeerConfig reads it (ZooCfg.Servers.cs) and becomes coord.ensemble and coord.server-id. With at most one
/// participant the server is standalone, as ZooKeeper's <c>standaloneEnabled=true</c> (its default) runs it.
/// </remarks>
public static partial class ZooCfg
{
    private static readonly Dictionary<string, string> Mapping = new(StringComparer.Ordinal)
    {
        ["tickTime"] = "coord:tick-ms",
        ["dataDir"] = "coord:data-dir",
        ["clientPort"] = "coord:client:port",
        ["clientPortAddress"] = "coord:client:host",
        ["maxClientCnxns"] = "coord:client:connections-per-ip-max",
        ["minSessionTimeout"] = "coord:session:timeout-ms-min",
        ["maxSessionTimeout"] = "coord:session:timeout-ms-max",
        ["jute.maxbuffer"] = "coord:client:frame-bytes-max",
        ["extendedTypesEnabled"] = "coord:znode:extended-types-enabled",
        ["zookeeper.extendedTypesEnabled"] = "coord:znode:extended-types-enabled",
        ["DigestAuthenticationProvider.superDigest"] = "coord:auth:super-digest",
        ["zookeeper.DigestAuthenticationProvider.superDigest"] = "coord:auth:super-digest",
        // ZooKeeper reads these as system properties; in a zoo.cfg they are written with or without "zookeeper.".
        ["admin.enableServer"] = "coord:admin:enabled",
        ["zookeeper.admin.enableServer"] = "coord:admin:enabled",
        ["admin.serverAddress"] = "coord:admin:host",
        ["zookeeper.admin.serverAddress"] = "coord:admin:host",
        ["admin.serverPort"] = "coord:admin:port",
        ["zookeeper.admin.serverPort"] = "coord:admin:port",
    };

    private const string WhitelistKey = "4lw.commands.whitelist";

    public static ZooCfgTranslation Translate(string path)
    {
        var full = Path.GetFullPath(path);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var sources = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var warnings = new List<string>();
        var errors = new List<string>();
        var ensemble = new EnsembleLines();
        foreach (var (key, value, line) in ReadProperties(File.ReadAllText(full)))
        {
            var where = $"{full}:{line}";
            void Set(string target, string? v)
            {
                values[target] = v;
                sources[target] = where;
            }
            if (key == WhitelistKey)
            {
                var words = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                for (var i = 0; i < words.Length; i++) Set($"coord:four-letter-words:whitelist:{i}", words[i]);
                if (words.Length == 0) Set("coord:four-letter-words:whitelist", "");
            }
            else if (Mapping.TryGetValue(key, out var target))
            {
                // ZooKeeper writes -1 for "derive the session bound from tickTime"; Coord writes null.
                var isDefaultBound = key is "minSessionTimeout" or "maxSessionTimeout"
                    && int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n < 0;
                Set(target, isDefaultBound ? null : value);
                if (key == "dataDir") ensemble.DataDir = (value, where);
                if (key == "clientPort") ensemble.ClientPort = (value, where);
                if (key == "clientPortAddress") ensemble.ClientPortAddress = (value, where);
            }
            else if (ensemble.Read(key, value, where, warnings, errors))
            {
                // server.N, initLimit, syncLimit, peerType: translated once the whole file is read.
            }
            else if (key is "dataLogDir")
                warnings.Add($"{where}: 'dataLogDir' ignored: Coord keeps its journal in coord.data-dir");
            else
                warnings.Add($"{where}: unknown or unsupported zoo.cfg key '{key}' ignored");
        }
        ensemble.Translate(values, sources, warnings, errors);
        return new ZooCfgTranslation(values, warnings, errors, sources);
    }

    /// <summary>
    /// The subset of java.util.Properties ZooKeeper configs use: '#'/'!' comments, '=', ':' or
    /// whitespace between key and value, '\' line continuation, and the common escapes.
    /// </summary>
    private static IEnumerable<(string Key, string Value, int Line)> ReadProperties(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var startLine = i + 1;
            var logical = lines[i].TrimStart();
            if (logical.Length == 0 || logical[0] is '#' or '!') continue;
            while (EndsWithContinuation(logical) && i + 1 < lines.Length)
                logical = logical[..^1] + lines[++i].TrimStart();
            var split = 0;
            while (split < logical.Length && logical[split] is not ('=' or ':' or ' ' or '\t'))
                split += logical[split] == '\\' ? 2 : 1;
            split = Math.Min(split, logical.Length);
            var key = Unescape(logical[..split]);
            var rest = logical[split..].TrimStart();
            if (rest.Length > 0 && rest[0] is '=' or ':') rest = rest[1..];
            // ZooKeeper trims values itself, so "clientPort=2181 " means 2181.
            yield return (key, Unescape(rest.Trim()), startLine);
        }
    }

    private static bool EndsWithContinuation(string line)
    {
        var backslashes = 0;
        for (var j = line.Length - 1; j >= 0 && line[j] == '\\'; j--) backslashes++;
        return backslashes % 2 == 1;
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 >= s.Length) { sb.Append(s[i]); continue; }
            var e = s[++i];
            sb.Append(e switch { 't' => '\t', 'n' => '\n', 'r' => '\r', 'f' => '\f', _ => e });
        }
        return sb.ToString();
    }
}

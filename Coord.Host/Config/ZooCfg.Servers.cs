using System.Globalization;

namespace Coord.Host.Config;

/// <summary>
/// The ensemble part of a zoo.cfg, read as ZooKeeper 3.8's QuorumPeerConfig and QuorumPeer.QuorumServer read it:
/// <c>server.N=host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]</c> (IPv6 in
/// brackets), <c>initLimit</c>, <c>syncLimit</c>, <c>peerType</c>, and this server's id from <c>dataDir/myid</c>.
/// </summary>
/// <remarks>
/// As in ZooKeeper: with two or more participants the server is a member of an ensemble, and myid, initLimit and
/// syncLimit must be given; with one participant it runs standalone and the server lines are ignored; observers need
/// at least two participants; the quorum and election ports of a member must differ; the peerType line only warns
/// when it disagrees with the server list (the list wins); the own member's client port (the <c>;2181</c> suffix)
/// becomes the client port, and must agree with clientPort when both are given. Not supported, and so errors rather
/// than silently different: several addresses per member (<c>a:1:2|b:1:2</c>), hierarchical quorums (group.N,
/// weight.N), and a dynamicConfigFile holding the server lines. Coord's election messages travel over Akka.Remote on the
/// quorum port; the election port carries the member's Akka.Cluster membership (coord.ensemble.cluster, on by default).
/// </remarks>
public static partial class ZooCfg
{
    private const string WrongFormat = "does not have ZooKeeper's form host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]";

    private sealed record Server(string Key, string Where, string Host, int PeerPort, int ElectionPort, bool Observer, string? ClientHost, int ClientPort);

    /// <summary>What the ensemble lines said, collected while the file is read and translated at its end.</summary>
    private sealed class EnsembleLines
    {
        private readonly SortedDictionary<long, Server> _servers = [];
        private (string Value, string Where)? _initLimit, _syncLimit, _peerType;

        public (string Value, string Where)? DataDir { get; set; }
        public (string Value, string Where)? ClientPort { get; set; }
        public (string Value, string Where)? ClientPortAddress { get; set; }

        /// <returns>True when <paramref name="key"/> belongs to the ensemble (and was handled).</returns>
        public bool Read(string key, string value, string where, List<string> warnings, List<string> errors)
        {
            if (key.StartsWith("server.", StringComparison.Ordinal))
            {
                ReadServer(key, value, where, errors);
                return true;
            }
            switch (key)
            {
                case "initLimit":
                    _initLimit = (value, where);
                    return true;
                case "syncLimit":
                    _syncLimit = (value, where);
                    return true;
                case "peerType":
                    if (value.ToLowerInvariant() is "observer" or "participant") _peerType = (value.ToLowerInvariant(), where);
                    else errors.Add($"{where}: peerType = '{value}': expected observer or participant (ZooKeeper refuses it too: \"Unrecognised peertype\")");
                    return true;
                case "dynamicConfigFile":
                    errors.Add($"{where}: dynamicConfigFile is not supported: Coord reads the server.N lines from this file only. "
                        + $"Copy the server.N lines from {value} into this file and remove the dynamicConfigFile line");
                    return true;
                case "electionPortBindRetry" or "electionAlg" or "quorumListenOnAllIPs" or "cnxTimeout" or "standaloneEnabled" or "reconfigEnabled":
                    warnings.Add($"{where}: '{key}' ignored: Coord's members talk over Akka.Remote on the quorum port, and one participant always runs standalone");
                    return true;
            }
            if (key.StartsWith("group.", StringComparison.Ordinal) || key.StartsWith("weight.", StringComparison.Ordinal))
            {
                errors.Add($"{where}: '{key}': hierarchical quorums (group.N, weight.N) are not supported; Coord counts a majority of the participants. "
                    + "Remove the group and weight lines (each participant then has one vote)");
                return true;
            }
            return false;
        }

        private void ReadServer(string key, string value, string where, List<string> errors)
        {
            var idText = key["server.".Length..];
            if (!long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                errors.Add($"{where}: '{key}': the part after 'server.' must be the member's id, a whole number from 1 to 254 (server.1=zoo1:2888:3888)");
                return;
            }
            if (_servers.TryGetValue(id, out var earlier) && earlier.Key != key)
            {
                errors.Add($"{where}: '{key}' names member {id}, as '{earlier.Key}' does at {earlier.Where}; give each member one server.N line");
                return;
            }
            if (ParseServer(key, value, where, id, errors) is { } server) _servers[id] = server; // a repeated key: the last wins, as in java.util.Properties
        }

        private static Server? ParseServer(string key, string value, string where, long id, List<string> errors)
        {
            string Problem(string what) => $"{where}: {key}={value}: {what}";
            var serverAndClient = JavaSplit(value, ';');
            if (serverAndClient.Length is 0 or > 2)
            {
                errors.Add(Problem(WrongFormat));
                return null;
            }
            if (serverAndClient[0].Contains('|', StringComparison.Ordinal))
            {
                errors.Add(Problem("several addresses per member (ZooKeeper's multiAddress.enabled) are not supported; keep one host:quorumPort:electionPort"));
                return null;
            }
            if (HostAndPorts(serverAndClient[0], out var bracketProblem) is not { Length: 3 or 4 } parts)
            {
                errors.Add(Problem(bracketProblem ?? (LooksLikeBareIpv6(serverAndClient[0])
                    ? WrongFormat + "; write an IPv6 address in brackets: [fd00::1]:2888:3888"
                    : WrongFormat)));
                return null;
            }
            var host = parts[0].Trim();
            if (host.Length == 0)
            {
                errors.Add(Problem("the host is empty; write host:quorumPort:electionPort"));
                return null;
            }
            if (!Port(parts[1], out var peerPort)) { errors.Add(Problem($"the quorum port '{parts[1]}' is not a number")); return null; }
            if (!Port(parts[2], out var electionPort)) { errors.Add(Problem($"the election port '{parts[2]}' is not a number")); return null; }
            if (peerPort == electionPort)
            {
                errors.Add(Problem($"the quorum port and the election port are both {peerPort}; they must differ (ZooKeeper refuses this too). "
                    + $"Change one of them on server.{id}"));
                return null;
            }
            var observer = false;
            if (parts.Length == 4)
            {
                switch (parts[3].Trim().ToLowerInvariant())
                {
                    case "observer": observer = true; break;
                    case "participant": break;
                    default:
                        errors.Add(Problem($"the role '{parts[3]}' is neither participant nor observer"));
                        return null;
                }
            }
            string? clientHost = null;
            var clientPort = 0;
            if (serverAndClient.Length == 2)
            {
                if (HostAndPorts(serverAndClient[1], out var clientProblem) is not { Length: 1 or 2 } client)
                {
                    errors.Add(Problem(clientProblem ?? $"the client address '{serverAndClient[1]}' must be port or host:port ([fd00::1]:2181 for IPv6)"));
                    return null;
                }
                if (client.Length == 2) clientHost = client[0].Trim();
                if (!Port(client[^1], out clientPort)) { errors.Add(Problem($"the client port '{client[^1]}' is not a number")); return null; }
            }
            return new Server(key, where, host, peerPort, electionPort, observer, clientHost, clientPort);
        }

        /// <summary>Turns what was read into coord keys, once the whole file (and so dataDir) is known.</summary>
        public void Translate(Dictionary<string, string?> values, Dictionary<string, string> sources, List<string> warnings, List<string> errors)
        {
            var voters = _servers.Where(s => !s.Value.Observer).Select(s => s.Key).ToList();
            var observers = _servers.Where(s => s.Value.Observer).Select(s => s.Key).ToList();
            var myid = ReadMyId(errors);
            string Lines(IEnumerable<long> ids) => string.Join(", ", ids.Select(i => $"server.{i} ({_servers[i].Where})"));

            if (voters.Count == 0 && observers.Count > 0)
            {
                errors.Add($"{Lines(observers)}: only observers and no participant; observers follow a quorum of participants "
                    + "(ZooKeeper refuses this too: \"Observers w/o participants\"). Make at least two of the members participants");
                return;
            }
            if (voters.Count <= 1)
            {
                if (observers.Count > 0)
                {
                    errors.Add($"{Lines(observers)}: observers with a single participant, which runs standalone and leaves them nothing to follow "
                        + "(ZooKeeper refuses this too: \"Observers w/o quorum\"). Add participants, or remove the observer lines");
                    return;
                }
                // One participant: standalone, as ZooKeeper's standaloneEnabled=true (its default) runs it.
                foreach (var server in _servers.Values)
                    warnings.Add($"{server.Where}: '{server.Key}' ignored: a single member runs standalone, as in ZooKeeper");
                foreach (var (line, key) in new[] { (_initLimit, "initLimit"), (_syncLimit, "syncLimit"), (_peerType, "peerType") })
                    if (line is { } l) warnings.Add($"{l.Where}: '{key}' ignored: it is an ensemble setting and this server runs standalone (fewer than two server.N participants)");
                return;
            }

            // A member of an ensemble: ZooKeeper's checkValidity.
            if (myid is null)
            {
                errors.Add(DataDir is null
                    ? $"{Lines(_servers.Keys)} name {_servers.Count} members, but dataDir is not set, so this server's id cannot be read from dataDir/myid; set dataDir"
                    : $"{MyIdPath()}: myid file is missing; it names which of the members ({string.Join(", ", _servers.Keys)}) this server is. "
                        + $"Write this server's id into it, e.g. echo {_servers.Keys.First()} > {MyIdPath()}");
            }
            if (_initLimit is null)
                errors.Add($"initLimit is not set: a member of an ensemble needs it (the ticks a follower has to connect and sync to a new leader); add initLimit=10");
            if (_syncLimit is null)
                errors.Add($"syncLimit is not set: a member of an ensemble needs it (the ticks a follower may fall behind the leader); add syncLimit=5");
            if (errors.Count > 0) return;

            void Set(string key, string? value, string where)
            {
                values[key] = value;
                sources[key] = where;
            }
            Set("coord:server-id", myid!.Value.Text, myid.Value.Path);
            Set("coord:ensemble:init-limit-ticks", _initLimit!.Value.Value, _initLimit.Value.Where);
            Set("coord:ensemble:sync-limit-ticks", _syncLimit!.Value.Value, _syncLimit.Value.Where);
            foreach (var (id, s) in _servers)
            {
                var prefix = $"coord:ensemble:members:{id}:";
                Set(prefix + "host", s.Host, s.Where);
                Set(prefix + "peer-port", s.PeerPort.ToString(CultureInfo.InvariantCulture), s.Where);
                Set(prefix + "election-port", s.ElectionPort.ToString(CultureInfo.InvariantCulture), s.Where);
                Set(prefix + "role", s.Observer ? "observer" : "participant", s.Where);
                if (s.ClientHost is not null) Set(prefix + "client-host", s.ClientHost, s.Where);
                if (s.ClientPort != 0) Set(prefix + "client-port", s.ClientPort.ToString(CultureInfo.InvariantCulture), s.Where);
            }

            if (!long.TryParse(myid.Value.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var selfId)
                || !_servers.TryGetValue(selfId, out var self))
                return; // validation names the id that is not among the members

            // ZooKeeper's setupPeerType: the server list decides the role; a disagreeing peerType only warns.
            if (_peerType is { } peerType && (peerType.Value == "observer") != self.Observer)
                warnings.Add($"{peerType.Where}: peerType={peerType.Value} disagrees with {self.Key} ({self.Where}), which makes this server "
                    + $"{(self.Observer ? "an observer" : "a participant")}; the server list wins, as in ZooKeeper. Make the two agree");

            // ZooKeeper's setupClientPort: the own line's client address is where this server serves clients.
            if (self.ClientPort == 0) return;
            if (ClientPort is { } clientPort && clientPort.Value.Trim() != self.ClientPort.ToString(CultureInfo.InvariantCulture))
            {
                errors.Add($"{clientPort.Where}: clientPort={clientPort.Value} differs from the client port {self.ClientPort} of {self.Key} ({self.Where}), "
                    + "this server's line (ZooKeeper refuses this too); make them equal, or drop one");
                return;
            }
            Set("coord:client:port", self.ClientPort.ToString(CultureInfo.InvariantCulture), self.Where);
            if (self.ClientHost is null) return;
            if (ClientPortAddress is { } address && !IsWildcard(address.Value.Trim())
                && !string.Equals(Unbracket(address.Value), self.ClientHost, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{address.Where}: clientPortAddress={address.Value} differs from the client address {self.ClientHost} of {self.Key} ({self.Where}), "
                    + "this server's line (ZooKeeper refuses this too); make them equal, or drop one");
                return;
            }
            Set("coord:client:host", self.ClientHost, self.Where);
        }

        private string MyIdPath() => Path.Combine(Path.GetFullPath(DataDir!.Value.Value), "myid");

        /// <summary>dataDir/myid, as ZooKeeper's setupMyId: the first line is the id; a missing file is no id.</summary>
        private (string Text, string Path)? ReadMyId(List<string> errors)
        {
            if (DataDir is null) return null;
            var path = MyIdPath();
            if (!File.Exists(path)) return null;
            string? first;
            try
            {
                using var reader = new StreamReader(path);
                first = reader.ReadLine();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add($"{path}: cannot read the myid file: {ex.Message}");
                return null;
            }
            var text = first?.Trim() ?? "";
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                errors.Add($"{path}: myid holds '{first}', which is not a number; it must hold this server's id alone, one of the server.N ids "
                    + (_servers.Count > 0 ? $"({string.Join(", ", _servers.Keys)})" : "(1 for a standalone server)"));
                return null;
            }
            return (text, path);
        }
    }

    /// <summary>ZooKeeper's ConfigUtils.getHostAndPort: "[v6]:p:p" keeps the bracketed host whole, anything else splits on ':'.</summary>
    private static string[]? HostAndPorts(string s, out string? problem)
    {
        problem = null;
        if (!s.StartsWith('['))
            return JavaSplit(s, ':');
        var close = s.IndexOf(']', StringComparison.Ordinal);
        if (close < 0)
        {
            problem = $"'{s}' starts with '[' but has no matching ']'";
            return null;
        }
        if (close + 1 == s.Length) return [s[1..close]];
        if (s[close + 1] != ':' || close + 2 == s.Length)
        {
            problem = $"'{s}' needs ':' and a port after the ']'";
            return null;
        }
        return [s[1..close], .. JavaSplit(s[(close + 2)..], ':')];
    }

    /// <summary>Java's String.split: trailing empty strings are dropped ("a;" is one part).</summary>
    private static string[] JavaSplit(string s, char separator)
    {
        var parts = s.Split(separator);
        var n = parts.Length;
        while (n > 0 && parts[n - 1].Length == 0) n--;
        return parts[..n];
    }

    private static bool Port(string text, out int port) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out port);

    private static bool LooksLikeBareIpv6(string s) => s.Count(c => c == ':') > 3 && !s.StartsWith('[');

    private static bool IsWildcard(string host) => host is "0.0.0.0" or "::" or "[::]";

    private static string Unbracket(string host)
    {
        var t = host.Trim();
        return t.Length > 2 && t[0] == '[' && t[^1] == ']' ? t[1..^1] : t;
    }
}

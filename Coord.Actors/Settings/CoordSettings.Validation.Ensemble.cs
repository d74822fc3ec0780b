namespace Coord.Actors.Settings;

/// <summary>
/// coord.ensemble's checks. A member is named by its key (<c>coord.ensemble.members.2</c>), the way the operator
/// wrote it in HOCON; a zoo.cfg is translated to the same keys, and <c>source</c> adds the file and line it came from.
/// </summary>
public static partial class CoordSettingsValidation
{
    private static void ValidateEnsemble(CoordSettings s, EnsembleSettings e, Func<string, string> source, List<string> errors)
    {
        static string Key(EnsembleMember m, string? field = null) =>
            field is null ? $"coord:ensemble:members:{m.Id}" : $"coord:ensemble:members:{m.Id}:{field}";
        string Named(string key) => key.Replace(':', '.') + source(key);
        void Require(bool ok, string message) { if (!ok) errors.Add(message); }

        if (e.Members.Count == 0)
        {
            errors.Add("coord.ensemble.members is empty; list the members (1 { host = \"10.0.0.1\", peer-port = 2888 } ...), or leave coord.ensemble out for a standalone server");
            return;
        }
        Require(e.SelfId == s.ServerId,
            $"the ensemble's own id ({e.SelfId}) differs from coord.server-id ({s.ServerId}); they are one setting, give the ensemble the server's id");

        foreach (var m in e.Members)
        {
            Require(m.Id is >= 1 and <= EnsembleSettings.MemberIdMax,
                $"{Named(Key(m))}: member id {m.Id} must be between 1 and {EnsembleSettings.MemberIdMax} (ZooKeeper's myid range; "
                + "a session id carries the member id in its top byte); renumber the member");
            Require(IsHost(m.Host),
                $"{Named(Key(m, "host"))} ('{m.Host}') must be an IP address or host name, e.g. \"10.0.0.1\" or \"zoo1.example.com\"");
            Require(m.PeerPort is >= 1 and <= 65535,
                $"{Named(Key(m, "peer-port"))} ({m.PeerPort}) must be between 1 and 65535: it is the port the member's peers connect to");
            Require(m.ElectionPort is >= 0 and <= 65535,
                $"{Named(Key(m, "election-port"))} ({m.ElectionPort}) must be between 1 and 65535, or left out (Akka.Cluster membership listens on it)");
            Require(m.ClientPort is >= 0 and <= 65535,
                $"{Named(Key(m, "client-port"))} ({m.ClientPort}) must be between 1 and 65535, or left out");
            Require(m.ClientHost is null || IsHost(m.ClientHost),
                $"{Named(Key(m, "client-host"))} ('{m.ClientHost}') must be an IP address or host name");
            Require(m.ClientHost is null || m.ClientPort != 0,
                $"{Named(Key(m, "client-host"))} is set without client-port; give the member's client-port too, or leave both out");
        }

        foreach (var twice in e.Members.GroupBy(m => m.Id).Where(g => g.Count() > 1))
            errors.Add($"coord.ensemble.members names member {twice.Key} {twice.Count()} times (ids written differently, such as 1 and 01, are one id); give each member its own id");

        Require(e.Members.Any(m => m.Id == e.SelfId),
            $"coord.server-id ({e.SelfId}){source("coord:server-id")} is not among coord.ensemble.members ({string.Join(", ", e.Members.Select(m => m.Id))}); "
            + "set coord.server-id to this server's id in the list (a zoo.cfg takes it from dataDir/myid), or add this server to the list");

        var voters = e.Voters;
        var observers = e.Observers;
        if (voters.Count == 0)
            errors.Add($"coord.ensemble.members has no participant (observers: {string.Join(", ", observers.Select(m => m.Id))}): "
                + "observers follow a quorum of participants, so at least one member needs role = participant");
        else if (voters.Count == 1 && observers.Count > 0)
            errors.Add($"coord.ensemble.members has one participant ({voters[0].Id}) and observers ({string.Join(", ", observers.Select(m => m.Id))}): "
                + "a single voter runs standalone, leaving the observers nothing to follow (ZooKeeper refuses this too); add participants or remove the observers");

        // Two members cannot bind one address: each peer port, and each client port given, once per host.
        var bound = new Dictionary<(string Host, int Port), string>();
        void Bind(string host, int port, string key)
        {
            if (port is < 1 or > 65535) return;
            var at = (host.ToLowerInvariant(), port);
            if (bound.TryGetValue(at, out var first))
                errors.Add($"{Named(key)} and {Named(first)} are both {FormatHostPort(host, port)}; give each member its own host:port");
            else bound[at] = key;
        }
        foreach (var m in e.Members) Bind(m.Host, m.PeerPort, Key(m, "peer-port"));
        if (e.UsesCluster) foreach (var m in e.Members) Bind(m.Host, m.ElectionPort, Key(m, "election-port"));
        foreach (var m in e.Members.Where(m => m.ClientPort != 0)) Bind(m.ClientHost ?? m.Host, m.ClientPort, Key(m, "client-port"));

        // The own member's client address, when listed, is where clients and tools will look for this server.
        if (e.Members.FirstOrDefault(m => m.Id == e.SelfId) is { ClientPort: not 0 } self)
        {
            Require(self.ClientPort == s.Client.Port,
                $"{Named(Key(self, "client-port"))} ({self.ClientPort}) differs from coord.client.port ({s.Client.Port}), the port this server listens on; "
                + "make them equal, or leave client-port out");
            Require(self.ClientHost is null || IsWildcard(s.Client.Host) || string.Equals(self.ClientHost, s.Client.Host, StringComparison.OrdinalIgnoreCase),
                $"{Named(Key(self, "client-host"))} ('{self.ClientHost}') differs from coord.client.host ('{s.Client.Host}'), the address this server listens on; "
                + "make them equal, or leave client-host out");
        }

        ValidateCluster(e, source, errors);

        Require(e.InitLimitTicks >= 1,
            $"coord.ensemble.init-limit-ticks ({e.InitLimitTicks}){source("coord:ensemble:init-limit-ticks")} must be at least 1: "
            + "it is how many ticks a follower has to connect to a new leader and sync (ZooKeeper's initLimit; 10 is usual)");
        Require(e.SyncLimitTicks >= 1,
            $"coord.ensemble.sync-limit-ticks ({e.SyncLimitTicks}){source("coord:ensemble:sync-limit-ticks")} must be at least 1: "
            + "it is how many ticks a follower may fall behind before the leader drops it (ZooKeeper's syncLimit; 5 is usual)");
    }

    private static void ValidateCluster(EnsembleSettings e, Func<string, string> source, List<string> errors)
    {
        var c = e.Cluster;
        const string Enabled = "coord:ensemble:cluster:enabled";
        if (c.Enabled == ClusterMode.On && e.Members.Where(m => m.ElectionPort == 0).Select(m => m.Id).ToList() is { Count: > 0 } missing)
            errors.Add($"coord.ensemble.cluster.enabled = on{source(Enabled)}, but members {string.Join(", ", missing)} name no election-port: "
                + "Akka.Cluster listens on each member's election port; give every member an election-port, or set enabled = auto or off");
        const string Pause = "coord:ensemble:cluster:acceptable-heartbeat-pause-ms";
        if (c.AcceptableHeartbeatPauseMs != 0 && c.AcceptableHeartbeatPauseMs is < EnsembleClusterSettings.PauseMsMin or > EnsembleClusterSettings.PauseMsMax)
            errors.Add($"coord.ensemble.cluster.acceptable-heartbeat-pause-ms ({c.AcceptableHeartbeatPauseMs}){source(Pause)} must be 0 (derived from the tick "
                + $"and sync limit) or between {EnsembleClusterSettings.PauseMsMin} and {EnsembleClusterSettings.PauseMsMax}");
        const string Stable = "coord:ensemble:cluster:stable-after-ms";
        if (c.StableAfterMs != 0 && c.StableAfterMs is < EnsembleClusterSettings.StableAfterMsMin or > EnsembleClusterSettings.StableAfterMsMax)
            errors.Add($"coord.ensemble.cluster.stable-after-ms ({c.StableAfterMs}){source(Stable)} must be 0 (derived from the tick and init limit) "
                + $"or between {EnsembleClusterSettings.StableAfterMsMin} and {EnsembleClusterSettings.StableAfterMsMax}");
    }

    private static bool IsWildcard(string host) => host is "0.0.0.0" or "::" or "[::]";

    private static string FormatHostPort(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
}

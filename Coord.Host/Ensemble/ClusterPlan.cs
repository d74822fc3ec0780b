using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using AkkaConfig = Akka.Configuration.Config;
using Coord.Actors.Settings;

namespace Coord.Host.Ensemble;

/// <summary>The cluster's timing, derived from ZooKeeper's tick and limits unless coord.ensemble.cluster sets it.</summary>
/// <param name="HeartbeatIntervalMs">akka.cluster.failure-detector.heartbeat-interval.</param>
/// <param name="AcceptableHeartbeatPauseMs">akka.cluster.failure-detector.acceptable-heartbeat-pause.</param>
/// <param name="StableAfterMs">akka.cluster.split-brain-resolver.stable-after.</param>
public sealed record ClusterTiming(int HeartbeatIntervalMs, int AcceptableHeartbeatPauseMs, int StableAfterMs)
{
    /// <summary>
    /// The pause is half the sync limit, between 1 s (tighter only makes false alarms on a busy machine; a sync limit
    /// that short ends a silent leader sooner anyway) and 3 s (Akka's default); so a frozen leader is reported
    /// unreachable well before its followers' sync limit runs out. Heartbeats every third of the pause, 200 ms..1 s.
    /// stable-after is the init limit (the time a member is given to come back and sync), at least the pause + 2 s.
    /// </summary>
    public static ClusterTiming For(EnsembleSettings ensemble, int tickMs)
    {
        long syncLimitMs = (long)tickMs * ensemble.SyncLimitTicks;
        long initLimitMs = (long)tickMs * ensemble.InitLimitTicks;
        int pause = ensemble.Cluster.AcceptableHeartbeatPauseMs > 0
            ? ensemble.Cluster.AcceptableHeartbeatPauseMs
            : (int)Math.Clamp(syncLimitMs / 2, 1_000, 3_000);
        int heartbeat = Math.Clamp(pause / 3, 200, 1_000);
        int stableAfter = ensemble.Cluster.StableAfterMs > 0
            ? ensemble.Cluster.StableAfterMs
            : (int)Math.Clamp(initLimitMs, pause + 2_000L, EnsembleClusterSettings.StableAfterMsMax);
        return new ClusterTiming(heartbeat, pause, stableAfter);
    }
}

/// <summary>
/// Pure decisions of the cluster membership beside replication: the ActorSystem's name and configuration, the seed
/// nodes, the roles that name a member, and which of two clusters of the same ensemble gives way.
/// Seeds are every member's election address by id, so the lowest id bootstraps the cluster (Akka's first seed node
/// forms a cluster when no other seed answers); a member that could not join at all for <see cref="JoinGiveUpMs"/>
/// starts again with itself first (forms, or joins whoever answers), later the higher its rank, so members 2 and 3 of an
/// ensemble whose member 1 is down form one cluster, not two.
/// </summary>
public static class ClusterPlan
{
    /// <summary>The cluster's ActorSystem name: akka.tcp://coord-cluster@host:electionPort.</summary>
    public const string SystemName = "coord-cluster";

    /// <summary>The actor that watches membership in every cluster system (and answers probes from other clusters).</summary>
    public const string WatchName = "cluster-watch";

    public const string VoterRole = "voter";
    public const string ObserverRole = "observer";
    private const string MemberRolePrefix = "member-";

    /// <summary>How long Akka's seed-node processes wait for answers (and a joining member between attempts).</summary>
    public const int SeedNodeTimeoutMs = 2_000;

    /// <summary>A member not first among the seeds gives up joining after this many ms times its rank (1, 2, ...).</summary>
    public const int JoinGiveUpMs = 10_000;

    /// <summary>The member's cluster address (its election port).</summary>
    public static Address AddressOf(EnsembleMember m) => new("akka.tcp", SystemName, m.Host, m.ElectionPort);

    /// <summary>Roles that say what the member is and which one it is: ["voter", "member-2"].</summary>
    public static IReadOnlyList<string> RolesOf(EnsembleMember m) =>
        [m.Observer ? ObserverRole : VoterRole, MemberRolePrefix + m.Id.ToString(CultureInfo.InvariantCulture)];

    /// <summary>The member id a cluster member's roles name, or null for a member of no ensemble we know.</summary>
    public static long? MemberIdOf(IEnumerable<string> roles)
    {
        foreach (var role in roles)
        {
            if (role.StartsWith(MemberRolePrefix, StringComparison.Ordinal)
                && long.TryParse(role.AsSpan(MemberRolePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                return id;
        }
        return null;
    }

    /// <summary>This member's place among the members by id (0 = the first seed node).</summary>
    public static int Rank(EnsembleSettings e) => e.Members.OrderBy(m => m.Id).TakeWhile(m => m.Id != e.SelfId).Count();

    /// <summary>
    /// The seed nodes in join order: every member by id; with <paramref name="selfFirst"/> this member first, so it
    /// forms a cluster of its own when no other seed is in one (Akka's FirstSeedNodeProcess).
    /// </summary>
    public static IReadOnlyList<Address> Seeds(EnsembleSettings e, bool selfFirst)
    {
        var byId = e.Members.OrderBy(m => m.Id).ToList();
        if (selfFirst) byId = [.. byId.Where(m => m.Id == e.SelfId), .. byId.Where(m => m.Id != e.SelfId)];
        return [.. byId.Select(AddressOf)];
    }

    /// <summary>When a join that has not succeeded is given up (null = never: this member forms the cluster itself).</summary>
    public static int? GiveUpJoinMs(EnsembleSettings e, bool selfFirst) =>
        selfFirst || Rank(e) == 0 ? null : JoinGiveUpMs * Rank(e);

    /// <summary>
    /// Two clusters of one ensemble (formed apart, e.g. across a partition or while the first seed was down) never
    /// merge by themselves. Each member probes the members missing from its cluster; when one answers from a cluster
    /// with more members up, or as many with a lower member id among them, this member leaves its cluster and joins again.
    /// Both sides compute the same order, so exactly one gives way.
    /// </summary>
    public static bool ShouldYield(int ourUp, long ourLowestId, int theirUp, long theirLowestId) =>
        theirUp > ourUp || (theirUp == ourUp && theirLowestId < ourLowestId);

    /// <summary>
    /// The cluster system's configuration: Akka.Cluster on the election port, the failure detector and split brain
    /// resolver timed by <see cref="ClusterTiming"/>, and coordinated shutdown that ends the ActorSystem (never the
    /// process) when this member is downed. Falls back to <paramref name="fallback"/> (the file's akka { } section,
    /// logging) for the rest.
    /// </summary>
    public static AkkaConfig Config(EnsembleSettings e, ClusterTiming timing, bool selfFirst, AkkaConfig fallback)
    {
        var self = e.Self;
        static string Ms(long ms) => ms.ToString(CultureInfo.InvariantCulture) + "ms";
        var roles = string.Join(", ", RolesOf(self).Select(r => $"\"{r}\""));
        var giveUp = GiveUpJoinMs(e, selfFirst) is { } g ? Ms(g) : "off";
        return ConfigurationFactory.ParseString($$"""
            akka {
              actor.provider = cluster
              remote {
                log-remote-lifecycle-events = off
                retry-gate-closed-for = 500ms
                dot-netty.tcp {
                  hostname = "{{self.Host}}"
                  port = {{self.ElectionPort}}
                }
              }
              cluster {
                roles = [{{roles}}]
                log-info = off
                seed-node-timeout = {{Ms(SeedNodeTimeoutMs)}}
                retry-unsuccessful-join-after = {{Ms(SeedNodeTimeoutMs)}}
                shutdown-after-unsuccessful-join-seed-nodes = {{giveUp}}
                run-coordinated-shutdown-when-down = on
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver {
                  active-strategy = keep-majority
                  stable-after = {{Ms(timing.StableAfterMs)}}
                  keep-majority.role = "{{VoterRole}}"
                }
                failure-detector {
                  heartbeat-interval = {{Ms(timing.HeartbeatIntervalMs)}}
                  acceptable-heartbeat-pause = {{Ms(timing.AcceptableHeartbeatPauseMs)}}
                }
              }
              coordinated-shutdown {
                terminate-actor-system = on
                exit-clr = off
                run-by-clr-shutdown-hook = off
              }
            }
            """).WithFallback(fallback);
    }
}

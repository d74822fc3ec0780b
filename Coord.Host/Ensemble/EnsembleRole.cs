using Coord.Actors.Ensemble;
using Coord.Actors.Replication;
using Coord.Actors.Settings;
using Coord.Host.Admin;

namespace Coord.Host.Ensemble;

/// <summary>
/// What an ensemble member is, for srvr/mntr, the admin commands and /ready: the replication actor publishes its
/// figures on every role change and a few times a second, and this answers from the latest (any thread).
/// </summary>
public sealed class EnsembleRole(EnsembleSettings ensemble) : IMemberRole
{
    private volatile EnsembleStatus? _status;
    private volatile ClusterFigures? _cluster;

    public void Publish(EnsembleStatus status) => _status = status;

    /// <summary>The cluster membership's figures (absent when the member runs no cluster).</summary>
    public void PublishCluster(ClusterFigures figures) => _cluster = figures;

    public ClusterFigures? Cluster => _cluster;

    public EnsembleStatus? Status => _status;

    public string ServerState => _status switch
    {
        { State: PeerState.Leading, Serving: true } => "leader",
        { State: PeerState.Following, Serving: true } => "follower",
        { State: PeerState.Observing, Serving: true } => "observer",
        _ => "looking",
    };

    public bool ServesClients => _status is { Serving: true };

    public LeaderFigures? Leader => _status is { Serving: true } s && ensemble.Members.FirstOrDefault(m => m.Id == s.LeaderId) is { } leader
        ? new LeaderFigures(s.State == PeerState.Leading, leader.Id, leader.Host)
        : null;

    public IReadOnlyList<VotingMember> VotingView =>
    [
        .. ensemble.Voters.Select(m => new VotingMember(m.Id, [$"{m.Host}:{m.PeerPort}"],
            m.ElectionPort == 0 ? [] : [$"{m.Host}:{m.ElectionPort}"],
            m.ClientPort == 0 ? "" : $"{m.ClientHost ?? m.Host}:{m.ClientPort}", "participant")),
    ];

    /// <summary>
    /// ZooKeeper 3.8's leader lines (zk_learners, zk_synced_followers, ...; zk_followers as 3.4 named it), everyone's
    /// peer state, and the cluster membership's coord_cluster_* lines when it runs.
    /// </summary>
    public IReadOnlyList<(string Key, object Value)> MonitorLines =>
        _cluster is { } cluster ? [.. ReplicationLines, .. cluster.MonitorLines] : ReplicationLines;

    private IReadOnlyList<(string Key, object Value)> ReplicationLines
    {
        get
        {
            if (_status is not { } s) return [];
            var lines = new List<(string Key, object Value)>
            {
                ("zk_peer_state", s.State switch
                {
                    PeerState.Leading => s.Serving ? "leading - broadcast" : "leading - discovery",
                    PeerState.Following => s.Serving ? "following - broadcast" : "following - synchronization",
                    PeerState.Observing => s.Serving ? "observing - broadcast" : "observing - synchronization",
                    _ => "looking",
                }),
                ("coord_epoch", s.Epoch),
                ("coord_last_zxid", s.LastZxid),
                ("coord_committed_zxid", s.CommittedZxid),
                ("coord_elections", s.Elections),
                ("coord_peer_messages_sent", s.PeerMessagesSent),
                ("coord_peer_messages_received", s.PeerMessagesReceived),
            };
            if (s.State == PeerState.Leading)
            {
                lines.Add(("zk_learners", (long)s.Learners));
                lines.Add(("zk_followers", (long)s.Learners));
                lines.Add(("zk_synced_followers", (long)s.SyncedFollowers));
                lines.Add(("zk_synced_non_voting_followers", 0L));
                lines.Add(("zk_synced_observers", (long)s.SyncedObservers));
                lines.Add(("zk_pending_syncs", (long)s.PendingSyncs));
                foreach (var l in s.LearnerDetails)
                    lines.Add(($"coord_learner_{l.Member}_lag", Math.Max(0, (s.LastZxid & 0xFFFF_FFFFL) - (l.Acked & 0xFFFF_FFFFL))));
            }
            return lines;
        }
    }
}

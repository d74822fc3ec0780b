namespace Coord.Host.Admin;

/// <summary>
/// What this server is in its ensemble, as srvr, mntr, the admin commands leader and voting_view, and /ready report it.
/// Standalone today (<see cref="StandaloneRole"/>); the ensemble gives the host a role that follows elections and sync.
/// Read from any thread: an implementation answers from values it publishes atomically.
/// </summary>
public interface IMemberRole
{
    /// <summary>ZooKeeper's server state as mntr's zk_server_state and srvr's Mode print it: "standalone", "leader",
    /// "follower", "observer" or "looking".</summary>
    string ServerState { get; }

    /// <summary>Whether this server may serve clients now: standalone always; a member once it is synced with a quorum's
    /// leader (and not while it looks for one). /ready answers 200 only while this holds and the server is serving.</summary>
    bool ServesClients { get; }

    /// <summary>The leader as the leader command shows it; null while there is none to show (standalone, or an ensemble
    /// member still electing), which ZooKeeper answers with the error "server is not initialized".</summary>
    LeaderFigures? Leader { get; }

    /// <summary>The voting members (voting_view's current_config); empty for a standalone server, as ZooKeeper's.</summary>
    IReadOnlyList<VotingMember> VotingView { get; }

    /// <summary>mntr's ensemble lines (a leader's zk_learners, zk_synced_followers, zk_pending_syncs, ...); none standalone.</summary>
    IReadOnlyList<(string Key, object Value)> MonitorLines => [];
}

/// <summary>The leader command's figures (ZooKeeper 3.8's is_leader, leader_id, leader_ip).</summary>
public sealed record LeaderFigures(bool IsLeader, long LeaderId, string LeaderIp);

/// <summary>One voting member as ZooKeeper 3.8's voting_view prints it (its QuorumServerView).</summary>
/// <param name="ServerAddresses">"host:quorumPort" for each address the member's peers reach it on.</param>
/// <param name="ElectionAddresses">"host:electionPort" likewise.</param>
/// <param name="ClientAddress">"host:clientPort", or "" when the member's config names no client address.</param>
/// <param name="LearnerType">"participant" or "observer".</param>
public sealed record VotingMember(
    long ServerId, IReadOnlyList<string> ServerAddresses, IReadOnlyList<string> ElectionAddresses, string ClientAddress, string LearnerType);

/// <summary>A standalone server: always serving, no leader, no voting members.</summary>
public sealed class StandaloneRole : IMemberRole
{
    public static readonly StandaloneRole Instance = new();

    public string ServerState => "standalone";
    public bool ServesClients => true;
    public LeaderFigures? Leader => null;
    public IReadOnlyList<VotingMember> VotingView => [];
}

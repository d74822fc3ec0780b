namespace Coord.Actors.Settings;

/// <summary>
/// One member of the ensemble (coord.ensemble.members.&lt;id&gt;, ZooKeeper's <c>server.&lt;id&gt;</c> line).
/// </summary>
/// <param name="Id">The member's id (ZooKeeper's myid), 1..<see cref="EnsembleSettings.MemberIdMax"/>.</param>
/// <param name="Host">Where the member's peer port listens (an IP address or a host name).</param>
/// <param name="PeerPort">ZooKeeper's quorum port; Coord's Akka.Remote endpoint, which carries every peer message
/// (election included).</param>
/// <param name="ElectionPort">ZooKeeper's election port: where the member's Akka.Cluster membership listens when
/// <see cref="EnsembleSettings.UsesCluster"/> (election traffic itself goes over the peer port); 0 = not given.</param>
/// <param name="Observer">A non-voting member (<c>role = observer</c>, ZooKeeper's <c>:observer</c>).</param>
/// <param name="ClientHost">The member's client address, when the configuration names it (<c>;host:port</c>);
/// null = not given.</param>
/// <param name="ClientPort">The member's client port, when the configuration names it; 0 = not given.</param>
public sealed record EnsembleMember(long Id, string Host, int PeerPort, int ElectionPort, bool Observer, string? ClientHost, int ClientPort)
{
    public bool IsVoter => !Observer;

    /// <summary>As a zoo.cfg would write it: <c>server.2=10.0.0.2:2888:3888:participant;2181</c>.</summary>
    public override string ToString()
    {
        var host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        var text = $"server.{Id}={host}:{PeerPort}:{ElectionPort}:{(Observer ? "observer" : "participant")}";
        if (ClientPort == 0) return text;
        var clientHost = ClientHost is null ? "" : (ClientHost.Contains(':', StringComparison.Ordinal) ? $"[{ClientHost}]" : ClientHost) + ":";
        return $"{text};{clientHost}{ClientPort}";
    }
}

/// <summary>
/// coord.ensemble: the static member list and the sync limits, plus which member this server is. Null in
/// <see cref="CoordSettings.Ensemble"/> means no members are configured: a standalone server, exactly as before the
/// ensemble existed. A list of one member is standalone too (<see cref="IsStandalone"/>), as ZooKeeper runs a
/// single <c>server.N</c> line. Quorums are counted over <see cref="Voters"/> of this list only, never over what a
/// membership service reports.
/// </summary>
/// <param name="SelfId">This server's id (coord.server-id; a zoo.cfg's dataDir/myid).</param>
/// <param name="Members">Every member, observers included, ordered by id.</param>
/// <param name="InitLimitTicks">Ticks a follower may take to connect to a new leader and sync (ZooKeeper's initLimit).</param>
/// <param name="SyncLimitTicks">Ticks a follower may fall behind before the leader drops it (ZooKeeper's syncLimit).</param>
public sealed record EnsembleSettings(long SelfId, IReadOnlyList<EnsembleMember> Members, int InitLimitTicks, int SyncLimitTicks)
{
    /// <summary>
    /// The largest member id. ZooKeeper's documentation allows 1..255 (254 with TTL nodes): a session id carries the
    /// server id in its top byte. Coord's ephemeral-owner field reserves the top byte 0xFF for TTL nodes whether or
    /// not TTL nodes are enabled, so 255 is never a member id here.
    /// </summary>
    public const long MemberIdMax = 254;

    public const int InitLimitTicksDefault = 10;

    /// <summary>coord.ensemble.cluster: Akka.Cluster membership on the election ports (hints and status only).</summary>
    public EnsembleClusterSettings Cluster { get; init; } = EnsembleClusterSettings.Default;

    /// <summary>
    /// Whether this member runs Akka.Cluster: never standalone; with enabled = auto, when every member names an
    /// election port (the cluster's seed nodes are every member's election address).
    /// </summary>
    public bool UsesCluster => !IsStandalone && Cluster.Enabled switch
    {
        ClusterMode.On => true,
        ClusterMode.Off => false,
        _ => Members.All(m => m.ElectionPort != 0),
    };
    public const int SyncLimitTicksDefault = 5;

    /// <summary>This server's member; throws when the list does not hold <see cref="SelfId"/> (validation says so first).</summary>
    public EnsembleMember Self => Members.FirstOrDefault(m => m.Id == SelfId)
        ?? throw new InvalidOperationException($"member {SelfId} is not in the ensemble ({string.Join(", ", Members.Select(m => m.Id))})");

    public IReadOnlyList<EnsembleMember> Voters => [.. Members.Where(m => m.IsVoter)];

    public IReadOnlyList<EnsembleMember> Observers => [.. Members.Where(m => m.Observer)];

    /// <summary>Votes (the leader's own included) that make a majority of the voters.</summary>
    public int QuorumSize => Voters.Count / 2 + 1;

    /// <summary>No more than one member: the server runs standalone.</summary>
    public bool IsStandalone => Members.Count <= 1;

    // Records compare lists by reference; settings compare by content so "same config" means equal.
    public bool Equals(EnsembleSettings? other) =>
        other is not null && SelfId == other.SelfId && InitLimitTicks == other.InitLimitTicks
        && SyncLimitTicks == other.SyncLimitTicks && Cluster == other.Cluster && Members.SequenceEqual(other.Members);

    public override int GetHashCode() =>
        Members.Aggregate(HashCode.Combine(SelfId, InitLimitTicks, SyncLimitTicks, Cluster), HashCode.Combine);

    public override string ToString() =>
        $"ensemble self={SelfId} init-limit-ticks={InitLimitTicks} sync-limit-ticks={SyncLimitTicks} [{string.Join(", ", Members)}] cluster={Cluster.Enabled.ToString().ToLowerInvariant()}";
}

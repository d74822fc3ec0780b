using System.Collections.Immutable;
using System.Globalization;

namespace Coord.Host.Ensemble;

/// <summary>
/// What mntr and /metrics say of the cluster membership: members up (in this member's view, reachable or not), those
/// its failure detector finds unreachable, its own status, and how many fresh cluster systems it started after the
/// first (each after being downed, removed or quarantined, or after a join it gave up).
/// </summary>
public sealed record ClusterFigures(IReadOnlyList<long> UpIds, IReadOnlyList<long> UnreachableIds, string SelfStatus, long Rejoins)
{
    /// <summary>Before the cluster system is up, and between two of them.</summary>
    public static ClusterFigures Starting(long rejoins) => new([], [], "starting", rejoins);

    /// <summary>mntr's lines.</summary>
    public IReadOnlyList<(string Key, object Value)> MonitorLines =>
    [
        ("coord_cluster_members_up", (long)UpIds.Count),
        ("coord_cluster_unreachable", (long)UnreachableIds.Count),
        ("coord_cluster_self_status", SelfStatus),
        ("coord_cluster_rejoins", Rejoins),
    ];

    /// <summary>For the log line on a change: <c>up [1, 2, 3], unreachable [], self up</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"up [{string.Join(", ", UpIds)}], unreachable [{string.Join(", ", UnreachableIds)}], self {SelfStatus}");
}

/// <summary>
/// This member's view of the cluster, folded from Akka.Cluster's member and reachability events: one entry per member
/// incarnation (its unique address), tagged with the ensemble member id its roles name. Two incarnations of one
/// member can be listed for a moment (a restarted member joins before the old one is removed); they count once.
/// Pure, so the fold is specified without an ActorSystem.
/// </summary>
public sealed record ClusterView(ImmutableDictionary<string, (long Id, string Status)> Members, ImmutableHashSet<string> Unreachable)
{
    public static readonly ClusterView Empty = new(ImmutableDictionary<string, (long, string)>.Empty, []);

    /// <summary>A member's status changed (joining, weakly-up, up, leaving, exiting, down).</summary>
    public ClusterView WithMember(string uniqueAddress, long id, string status) =>
        this with { Members = Members.SetItem(uniqueAddress, (id, status)) };

    /// <summary>A member was removed: it no longer counts, reachable or not.</summary>
    public ClusterView Without(string uniqueAddress) =>
        this with { Members = Members.Remove(uniqueAddress), Unreachable = Unreachable.Remove(uniqueAddress) };

    public ClusterView WithReachability(string uniqueAddress, bool reachable) =>
        this with { Unreachable = reachable ? Unreachable.Remove(uniqueAddress) : Unreachable.Add(uniqueAddress) };

    /// <summary>Ensemble member ids with an incarnation in the cluster (any status), so not worth probing.</summary>
    public IReadOnlySet<long> Known => Members.Values.Select(m => m.Id).ToHashSet();

    /// <summary>Ids of members up, and the lowest of them (0 when none).</summary>
    public IReadOnlyList<long> UpIds => [.. Members.Values.Where(m => m.Status == "up").Select(m => m.Id).Distinct().Order()];

    public ClusterFigures Figures(string selfStatus, long rejoins) => new(
        UpIds,
        [.. Unreachable.Where(Members.ContainsKey).Select(a => Members[a].Id).Distinct().Order()],
        selfStatus,
        rejoins);
}

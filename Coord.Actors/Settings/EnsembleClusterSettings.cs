namespace Coord.Actors.Settings;

/// <summary>coord.ensemble.cluster.enabled: whether a member runs Akka.Cluster on its election port.</summary>
public enum ClusterMode
{
    /// <summary>On when every member names an election port (a zoo.cfg always does), off otherwise.</summary>
    Auto,
    On,
    Off,
}

/// <summary>
/// coord.ensemble.cluster: Akka.Cluster membership beside replication, for discovery, failure-detection hints (a
/// member the failure detector finds unreachable starts an election early) and status. Never for safety: quorums and
/// epochs over <see cref="EnsembleSettings.Members"/> decide. 0 for a duration means "derived from the tick and limits".
/// </summary>
/// <param name="Enabled">auto (the default), on or off.</param>
/// <param name="AcceptableHeartbeatPauseMs">The failure detector's acceptable heartbeat pause; 0 = min(3 s, tick ×
/// sync limit / 2), at least 1 s.</param>
/// <param name="StableAfterMs">The split brain resolver's stable-after; 0 = max(tick × init limit, pause + 2 s).</param>
public sealed record EnsembleClusterSettings(ClusterMode Enabled, int AcceptableHeartbeatPauseMs, int StableAfterMs)
{
    public static readonly EnsembleClusterSettings Default = new(ClusterMode.Auto, 0, 0);

    /// <summary>Bounds of an explicit acceptable-heartbeat-pause-ms.</summary>
    public const int PauseMsMin = 100, PauseMsMax = 60_000;

    /// <summary>Bounds of an explicit stable-after-ms.</summary>
    public const int StableAfterMsMin = 1_000, StableAfterMsMax = 600_000;
}

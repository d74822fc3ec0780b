using System.Globalization;
using Akka.Configuration;
using AkkaConfig = Akka.Configuration.Config;
using Coord.Actors.Core;
using Coord.Actors.Ensemble;
using Coord.Actors.Journal;
using Coord.Actors.Replication;
using Coord.Actors.Settings;

namespace Coord.Host.Ensemble;

/// <summary>
/// What a member of an ensemble needs besides a standalone server's parts: Akka.Remote bound on its peer port
/// (ZooKeeper's quorum port, which here carries every peer message, election included), the binary peer
/// serializer, and the replication core's configuration, peers and durable state.
/// </summary>
public static class EnsembleBoot
{
    /// <summary>The name of every member's ActorSystem; peers address each other as akka.tcp://coord@host:port.</summary>
    public const string SystemName = "coord";

    /// <summary>
    /// The largest Akka.Remote frame: a proposal batch of txns up to the client frame bound each. A snapshot no longer
    /// needs one frame of its size: SNAP streams it in chunks of <see cref="ReplicationConfig.SnapshotChunkBytes"/> (1 MiB).
    /// </summary>
    public const long FrameBytesMax = 128L << 20;

    /// <summary>
    /// Akka.Remote for the member: bound to its peer host and port; a failed association is retried after 200 ms
    /// rather than Akka's 5 s (a restarted member must be heard again well within the init limit); frames sized for
    /// the largest batch. An association that stops carrying anything is dropped after
    /// <see cref="TransportPauseMs"/> rather than Akka's 120 s, so a new one replaces it: the chaos soak saw a member
    /// that survived a peer's kill -9 never hear the restarted peer again for as long as it watched (90 s), while the
    /// other members did.
    /// <para>
    /// Passive connections are off: each member sends its messages only over connections it opened itself and gets
    /// the others' only over connections they opened. With Akka's default (on) a member sends over connections it
    /// accepted too, and after a kill -9 and restart on the same address the restarted member's passive read handoff
    /// could stop reading the very connection the survivor writes on while heartbeats kept it open: deaf one way for
    /// good, nothing logged
    /// (specs/Coord.Actors.Specs/Ensemble/RestartedPeerLinkSpecs.cs stages it). Off, a read handoff only ever replaces
    /// and closes an inbound connection, and a writer whose connection is closed associates again. The cost: two TCP
    /// connections per pair of members instead of one (twice the transport heartbeats, each a few bytes a second), and
    /// every member must be able to open a connection to every other, as ensemble members always can (each listens on
    /// its peer port at the address zoo.cfg gives the others).
    /// </para>
    /// </summary>
    public static AkkaConfig RemoteConfig(EnsembleSettings ensemble, int tickMs)
    {
        var self = ensemble.Self;
        var frame = FrameBytesMax.ToString(CultureInfo.InvariantCulture);
        string pause = TransportPauseMs(ensemble, tickMs).ToString(CultureInfo.InvariantCulture);
        return ConfigurationFactory.ParseString($$"""
            akka {
              actor.provider = remote
              remote {
                use-passive-connections = off
                transport-failure-detector {
                  heartbeat-interval = 1s
                  acceptable-heartbeat-pause = {{pause}}ms
                }
                handshake-timeout = {{pause}}ms
                retry-gate-closed-for = 200ms
                dot-netty.tcp {
                  hostname = "{{self.Host}}"
                  port = {{self.PeerPort}}
                  maximum-frame-size = {{frame}}b
                  send-buffer-size = {{frame}}b
                  receive-buffer-size = {{frame}}b
                }
              }
            }
            """).WithFallback(PeerSerialization.Config);
    }

    /// <summary>Twice the sync limit, at least 3 s and at most 30 s: how long a silent peer association is kept.</summary>
    public static long TransportPauseMs(EnsembleSettings ensemble, int tickMs) =>
        Math.Clamp(2L * ensemble.SyncLimitTicks * tickMs, 3_000, 30_000);

    /// <summary>The replication core's view: every member, this one's id, ZooKeeper's timing from tickTime and the limits.</summary>
    public static ReplicationConfig ReplicationConfigFor(EnsembleSettings ensemble, int tickMs) => new(
        ensemble.SelfId,
        [.. ensemble.Members.Select(m => new ReplicationMember(m.Id, m.Observer))],
        ReplicationTiming.FromTicks(tickMs, ensemble.InitLimitTicks, ensemble.SyncLimitTicks));

    /// <summary>Where each other member's replication actor lives.</summary>
    public static EnsemblePeers PeersFor(EnsembleSettings ensemble, string coreName = "core") => new(
        ensemble.Members.Where(m => m.Id != ensemble.SelfId).ToDictionary(m => m.Id,
            m => $"akka.tcp://{SystemName}@{(m.Host.Contains(':', StringComparison.Ordinal) ? $"[{m.Host}]" : m.Host)}:{m.PeerPort}/user/{coreName}/replication"));

    /// <summary>
    /// The member's disk as the replication core starts from it: the journal's epochs, and the txns after the
    /// snapshot recovery started from (the tree has replayed them all).
    /// </summary>
    public static EnsembleParts Parts(EnsembleSettings ensemble, int tickMs, IJournal journal, RecoveryResult recovered, long wallMs) => new(
        ReplicationConfigFor(ensemble, tickMs),
        PeersFor(ensemble),
        new DurableState(journal.AcceptedEpoch, journal.CurrentEpoch, recovered.SnapshotZxid, journal.ReadAfter(recovered.SnapshotZxid).ToList()),
        Incarnation: wallMs / 1000);

    /// <summary>
    /// The stdout line a member prints when its role changes, for operators and scripts (specs wait on it):
    /// <c>coord: member 2 is following (leader 1, epoch 3, serving yes)</c>.
    /// </summary>
    public static string RoleLine(long self, RoleChanged r)
    {
        var state = r.State switch
        {
            PeerState.Leading => "leading",
            PeerState.Following => "following",
            PeerState.Observing => "observing",
            _ => "looking",
        };
        return $"coord: member {self} is {state} (leader {r.LeaderId}, epoch {r.Epoch}, serving {(r.Serving ? "yes" : "no")}): {r.Reason}";
    }
}

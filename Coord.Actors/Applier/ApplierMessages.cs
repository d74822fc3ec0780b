using Akka.Actor;
using Coord.Actors.Txns;

namespace Coord.Actors.Applier;

/// <summary>
/// Txns the journal made durable (standalone: committed), in zxid order, one batch per append. The applier
/// applies them in order; a gap or a zxid out of order is a broken invariant and stops the server.
/// </summary>
public sealed record Committed(IReadOnlyList<SequencedTxn> Txns)
{
    public override string ToString() =>
        Txns.Count == 0 ? "committed []" : $"committed 0x{Txns[0].Header.Zxid:x}..0x{Txns[^1].Header.Zxid:x} ({Txns.Count})";
}

/// <summary>The peers of the applier, told once right after it is created and before any client can reach it.</summary>
public sealed record ApplierWiring(IActorRef Sequencer, IActorRef Journal, bool Ensemble = false, Ensemble.ServingLease? Lease = null);

/// <summary>Time passed: the applier passes its sessions' activity and the tick on to the sequencer. Sent by the host's timer.</summary>
public sealed record TickElapsed
{
    public static readonly TickElapsed Instance = new();
}

/// <summary>A snapshot was written (or failed) off the actor thread; <see cref="OldestKeptZxid"/> bounds the journal purge.</summary>
public sealed record SnapshotWritten(long Zxid, long OldestKeptZxid, Exception? Error);

/// <summary>Asks for <see cref="CoreStats"/> (answered to the sender).</summary>
public sealed record StatsQuery
{
    public static readonly StatsQuery Instance = new();
}

/// <summary>Asks for the <see cref="WatchReport"/> (answered to the sender).</summary>
public sealed record WatchReportQuery
{
    public static readonly WatchReportQuery Instance = new();
}

/// <summary>Asks for the ephemerals by session (answered to the sender with an <see cref="EphemeralsReport"/>).</summary>
public sealed record EphemeralsQuery
{
    public static readonly EphemeralsQuery Instance = new();
}

/// <summary>Figures for srvr/stat/mntr.</summary>
public sealed record CoreStats(
    long LastZxid, int NodeCount, int WatchCount, int SessionCount,
    int EphemeralCount, long ApproximateDataSize, int OutstandingRequests, long ExpiredSessions);

/// <summary>
/// wchc / wchp / wchs: watched paths by session, and sessions by path — as ZooKeeper lists them, getData/exists,
/// persistent and recursive watches, not getChildren-only ones (those count in mntr's zk_watch_count only).
/// </summary>
public sealed record WatchReport(
    IReadOnlyList<(long SessionId, IReadOnlyList<string> Paths)> BySession,
    IReadOnlyList<(string Path, IReadOnlyList<long> Sessions)> ByPath)
{
    /// <summary>wchs: "N connections watching M paths", "Total watches:K".</summary>
    public (int Connections, int Paths, int Watches) Summary => (BySession.Count, ByPath.Count, ByPath.Sum(p => p.Sessions.Count));
}

/// <summary>dump, second half: ephemerals by session.</summary>
public sealed record EphemeralsReport(IReadOnlyList<(long SessionId, IReadOnlyList<string> Ephemerals)> Ephemerals);

using Coord.Actors.Sessions;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Sequencer;

/// <summary>Messages the sequencer receives.</summary>
public abstract record CoreMessage;

/// <summary>A connection's first packet: create a session or re-attach one.</summary>
public sealed record ConnectRequested(ConnectRequest Request, IClientConnection Connection) : CoreMessage;

/// <summary>A request of a live session, with the auth ids its connection held when it was read.</summary>
public sealed record ClientRequest(
    SessionActor Session, IClientConnection Connection, int Xid, OpCode Op, object? Record, IReadOnlyList<Id> AuthIds) : CoreMessage
{
    public override string ToString() => $"request 0x{Session.SessionId:x} xid={Xid} {Op} {(Record as IPathRequest)?.Path}";
}

/// <summary>A connection's auth ids changed (digest auth); notifications are filtered by them.</summary>
public sealed record AuthIdsChanged(SessionActor Session, IClientConnection Connection, IReadOnlyList<Id> AuthIds) : CoreMessage;

/// <summary>A connection closed; its watches go with it, the session lives until it expires.</summary>
public sealed record ConnectionClosed(long SessionId, IClientConnection Connection) : CoreMessage;

/// <summary>Time passed: check session expiry and container/TTL cleanup. Sent by the host's timer.</summary>
public sealed record TickElapsed : CoreMessage
{
    public static readonly TickElapsed Instance = new();
}

/// <summary>The journal finished (or failed) the append of a batch ending at <see cref="ThroughZxid"/>.</summary>
public sealed record AppendCompleted(long ThroughZxid, Exception? Error) : CoreMessage;

/// <summary>A snapshot was written (or failed) off the actor thread; <see cref="OldestKeptZxid"/> bounds the journal purge.</summary>
public sealed record SnapshotWritten(long Zxid, long OldestKeptZxid, Exception? Error) : CoreMessage;

public sealed record StatsQuery(TaskCompletionSource<CoreStats> Reply) : CoreMessage;
public sealed record WatchReportQuery(TaskCompletionSource<WatchReport> Reply) : CoreMessage;
public sealed record SessionReportQuery(TaskCompletionSource<SessionReport> Reply) : CoreMessage;

/// <summary>Figures for srvr/stat/mntr.</summary>
public sealed record CoreStats(
    long LastZxid, int NodeCount, int WatchCount, int WatchedPaths, int Watchers, int SessionCount,
    int EphemeralCount, long ApproximateDataSize, int OutstandingRequests, long ExpiredSessions);

/// <summary>wchc / wchp: watched paths by session, and sessions by path.</summary>
public sealed record WatchReport(
    IReadOnlyList<(long SessionId, IReadOnlyList<string> Paths)> BySession,
    IReadOnlyList<(string Path, IReadOnlyList<long> Sessions)> ByPath);

/// <summary>dump: sessions by expiry bucket and ephemerals by session.</summary>
public sealed record SessionReport(
    IReadOnlyList<(long ExpiresAtMs, IReadOnlyList<long> Sessions)> Expiry,
    IReadOnlyList<(long SessionId, IReadOnlyList<string> Ephemerals)> Ephemerals);

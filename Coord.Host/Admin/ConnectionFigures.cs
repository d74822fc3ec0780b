using Coord.Protocol;

namespace Coord.Host.Admin;

/// <summary>
/// One connection's figures as cons and stat print them (ZooKeeper's ServerCnxn.dumpConnectionInfo), taken
/// together under the connection's lock.
/// </summary>
/// <param name="Reading">False while the connection does not read: a four-letter word's connection, or one at its
/// outstanding-request bound (ZooKeeper prints its selector interest: 1 = read, 0 = not).</param>
/// <param name="LastOp">The last request answered through the request path (not auth); null = none yet ("NA").</param>
/// <param name="EstablishedAtMs">When the connection was accepted, ms since the Unix epoch.</param>
/// <param name="SessionTimeoutMs">Negotiated in the connect response; 0 before it.</param>
/// <param name="LastCxid">The last non-negative xid answered; -1 = none (then cons omits lcxid, as ZooKeeper).</param>
/// <param name="LastZxid">The zxid in the last reply header; -1 = none yet.</param>
/// <param name="LastResponseMs">When the last reply was queued, on the monotonic clock in ms (ZooKeeper prints
/// Time.currentElapsedTime(), System.nanoTime() / 1e6 — not wall time); 0 = none yet.</param>
public readonly record struct ConnectionFigures(
    bool Reading, int Outstanding, long Received, long Sent, long SessionId, OpCode? LastOp, long EstablishedAtMs,
    int SessionTimeoutMs, long LastCxid, long LastZxid, long LastResponseMs, long LastLatencyMs,
    long MinLatencyMs, long AvgLatencyMs, long MaxLatencyMs);

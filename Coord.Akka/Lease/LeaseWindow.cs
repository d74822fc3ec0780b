namespace Coord.Akka.Lease;

/// <summary>
/// The holder's side of the timing argument, as a pure value (times are monotonic milliseconds on the holder).
/// </summary>
/// <remarks>
/// A server expires a session no earlier than one session timeout after the last packet it received from it
/// (Coord and ZooKeeper round the expiry up to the next tick). A request that the server answered was received
/// no earlier than the holder sent it, so after a reply to a request sent at <c>t</c> the session cannot expire,
/// and no other owner can take the lease, before <c>t + timeout</c> in the server's time. The holder trusts its
/// lease only until <c>t + safeFraction × timeout</c>: the rest of the timeout is the margin for the lost-lease
/// callback to run and for work in flight to stop, before anyone else can hold the lease.
/// </remarks>
/// <param name="ConfirmedSentAtMs">When the newest request that the server answered (proving the node ours) was sent.</param>
/// <param name="SessionTimeoutMs">The negotiated session timeout.</param>
/// <param name="SafeFraction">The share of the timeout the holder may use, in (0, 1).</param>
public readonly record struct LeaseWindow(long ConfirmedSentAtMs, long SessionTimeoutMs, double SafeFraction)
{
    /// <summary>The holder must consider the lease lost from this moment on.</summary>
    public long DeadlineMs => ConfirmedSentAtMs + (long)(SessionTimeoutMs * SafeFraction);

    /// <summary>The earliest moment the server could expire the session (and so let another owner in).</summary>
    public long EarliestExpiryMs => ConfirmedSentAtMs + SessionTimeoutMs;

    /// <summary>True while the lease may be trusted at <paramref name="nowMs"/>.</summary>
    public bool IsValidAt(long nowMs) => nowMs < DeadlineMs;

    /// <summary>After a reply to a request sent at <paramref name="sentAtMs"/>; a confirmation never moves the window back.</summary>
    public LeaseWindow Confirmed(long sentAtMs) =>
        sentAtMs > ConfirmedSentAtMs ? this with { ConfirmedSentAtMs = sentAtMs } : this;

    /// <summary>How often to confirm: the configured interval, at most a quarter of the session timeout, so a
    /// confirmation lands several times within the safe window while the connection is healthy.</summary>
    public static long HeartbeatMs(long configuredMs, long sessionTimeoutMs) =>
        Math.Max(1, Math.Min(configuredMs, sessionTimeoutMs / 4));

    /// <inheritdoc />
    public override string ToString() =>
        $"confirmed@{ConfirmedSentAtMs}ms valid until {DeadlineMs}ms (server expiry no earlier than {EarliestExpiryMs}ms)";
}

using Microsoft.Extensions.Logging;

namespace Coord.Client;

/// <summary>Settings for <see cref="CoordClient.ConnectAsync"/>. Immutable; use <c>with</c> to vary one.</summary>
public sealed record CoordClientOptions
{
    /// <summary>The session timeout asked of the server, which clamps it (ZooKeeper: 2 to 20 ticks). Default 30 s.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one TCP connect plus handshake may take before the next host is tried. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long <see cref="CoordClient.ConnectAsync"/> waits for the first session before it gives up with a
    /// <see cref="ConnectionLossException"/>. Default 15 s.
    /// </summary>
    public TimeSpan InitialConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Back-off for operations that are safe to repeat after a connection loss. Default <see cref="RetryPolicy.Default"/>.</summary>
    public RetryPolicy RetryPolicy { get; init; } = RetryPolicy.Default;

    /// <summary>Accept a read-only server (state <see cref="ConnectionState.ConnectedReadOnly"/>) when no quorum is reachable.</summary>
    public bool CanBeReadOnly { get; init; }

    /// <summary>Where the client logs connection and session events; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Diagnostic hook for test harnesses that record histories: called for every frame the session receives (replies,
    /// pings included, and watch notifications), synchronously on the session's receive loop, one at a time, in the order
    /// the frames arrived on the wire. A reply is reported before its call's task completes, and a notification before
    /// any callback runs, so an observer can give events and replies one shared order (watch callbacks and awaiting
    /// code run later, on other threads). Keep it short and never block or throw in it: it stalls the connection. Null
    /// (the default) costs nothing.
    /// </summary>
    public Action<WireFrame>? WireObserver { get; init; }
}

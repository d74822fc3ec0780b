namespace Coord.Client;

/// <summary>The client's view of its session.</summary>
public enum ConnectionState
{
    /// <summary>Not connected; the client is reconnecting and the session may still be alive (suspended).
    /// Calls wait for the reconnection, up to their cancellation.</summary>
    Disconnected,

    /// <summary>Connected to a server that serves reads and writes.</summary>
    Connected,

    /// <summary>Connected to a read-only server (only with <see cref="CoordClientOptions.CanBeReadOnly"/>); writes fail.</summary>
    ConnectedReadOnly,

    /// <summary>The server reported the session expired. Terminal: its ephemerals and watches are gone.</summary>
    Expired,

    /// <summary>The session was closed by <see cref="CoordClient.DisposeAsync"/>, or an authentication failed. Terminal.</summary>
    Closed,
}

/// <summary>Raised by <see cref="CoordClient.StateChanged"/>; events arrive in order, on the client's event dispatcher.</summary>
/// <param name="Previous">The state before the change.</param>
/// <param name="Current">The new state.</param>
public sealed record ConnectionStateChange(ConnectionState Previous, ConnectionState Current);

namespace Coord.Actors.Sessions;

/// <summary>
/// What the core sees of a client connection (implemented by the host over a socket, by specs in memory).
/// No socket type crosses this line. All members are thread-safe.
/// </summary>
public interface IClientConnection
{
    long Id { get; }

    /// <summary>The peer's IP address as text, for the ip ACL scheme.</summary>
    string RemoteIp { get; }

    /// <summary>
    /// Queues one encoded frame (4-byte length prefix included) for sending, in call order.
    /// <paramref name="completesRequest"/> marks the answer to a request read from this connection, which
    /// frees one outstanding-request slot.
    /// </summary>
    void Send(ReadOnlySpan<byte> frame, bool completesRequest);

    /// <summary>Sends what is queued, then closes. Idempotent.</summary>
    void Close(string reason);

    /// <summary>The handshake is done: read further requests and hand them to <paramref name="session"/>.</summary>
    void Established(SessionActor session);
}

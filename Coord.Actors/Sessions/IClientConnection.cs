using Akka.Actor;

namespace Coord.Actors.Sessions;

/// <summary>
/// What the core sees of a client connection (implemented by the host over a socket, by specs in memory).
/// No socket type crosses this line. All members are thread-safe. Only a session actor (and the applier, to
/// answer a refused handshake) holds one; messages name connections by <see cref="Id"/>.
/// </summary>
public interface IClientConnection
{
    long Id { get; }

    /// <summary>The peer's IP address as text, for the ip ACL scheme.</summary>
    string RemoteIp { get; }

    /// <summary>
    /// Queues one encoded frame (4-byte length prefix included) for sending, in call order; it goes out at
    /// the next <see cref="Flush"/> or <see cref="Close"/>. <paramref name="completesRequest"/> marks the
    /// answer to a request read from this connection, which frees one outstanding-request slot. A connection
    /// whose client does not read closes itself once what is queued passes its outbound bound.
    /// </summary>
    void Send(ReadOnlySpan<byte> frame, bool completesRequest);

    /// <summary>
    /// Sends everything queued so far, in one write where it fits. The session actor calls it once per burst
    /// of replies, so a burst costs one syscall and no extra hand-off. It may write on the caller's thread but
    /// never waits for a slow peer (what the socket cannot take now is sent later).
    /// </summary>
    void Flush();

    /// <summary>Sends what is queued, then closes. Idempotent.</summary>
    void Close(string reason);

    /// <summary>The handshake is done: read further requests and hand them to <paramref name="session"/>.</summary>
    void Established(long sessionId, IActorRef session);
}

/// <summary>Finds a live connection by id (the host's registry; an in-memory table in specs). Thread-safe.</summary>
public interface IConnectionDirectory
{
    IClientConnection? Find(long connectionId);
}

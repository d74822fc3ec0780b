namespace Coord.Actors.Sequencer;

/// <summary>A member asks for a session with the id and password it chose; the answer is the applied CreateSessionTxn.</summary>
public sealed record CreateSessionRequest(long SessionId, int TimeoutMs, byte[] Password)
{
    /// <summary>The member that asked, the session's first owner: set by the leader's replication shell from the link it
    /// came on (never on the wire); 0 standalone.</summary>
    public long Origin { get; init; }

    public override string ToString() => $"create session 0x{SessionId:x} timeout={TimeoutMs}ms";
}

/// <summary>
/// A session reconnected on a member (<see cref="ConnectionId"/>) with a newly negotiated timeout: the member asks the
/// sequencer whether it still lives, as a ZooKeeper learner revalidates a reconnect with its leader's session tracker,
/// because its own tree may not show an expiry the leader already decided. A live session is touched with the new
/// timeout, and becomes the session's owner.
/// </summary>
public sealed record SessionRevalidation(long SessionId, int TimeoutMs, long ConnectionId)
{
    /// <summary>The member that asked: set by the leader's replication shell from the link it came on (never on the wire); 0 standalone.</summary>
    public long Origin { get; init; }
}

/// <summary>The sequencer's answer to a <see cref="SessionRevalidation"/>: false when the session is unknown or closing.</summary>
public sealed record SessionRevalidated(long SessionId, long ConnectionId, bool Valid)
{
    /// <summary>The member to answer (the request's <see cref="SessionRevalidation.Origin"/>); never on the wire.</summary>
    public long Origin { get; init; }
}

/// <summary>
/// A tick from a member: the sessions with activity since its last tick (reads, pings; writes touch on arrival),
/// then a check of expiry and clean-up at the sequencer's clock. Followers of a ZooKeeper leader send the same in pings.
/// </summary>
public sealed record SessionsTouched(long[] SessionIds)
{
    public override string ToString() => $"tick, {SessionIds.Length} sessions touched";
}

/// <summary>The applier has applied every txn through <see cref="Zxid"/>.</summary>
public sealed record Applied(long Zxid);

/// <summary>Asks for the sessions by expiry time (answered to the sender with an <see cref="ExpiryReport"/>).</summary>
public sealed record ExpiryQuery
{
    public static readonly ExpiryQuery Instance = new();
}

/// <summary>dump, first half: sessions by expiry bucket; and the sequencer's own figures.</summary>
public sealed record ExpiryReport(IReadOnlyList<(long ExpiresAtMs, IReadOnlyList<long> Sessions)> Expiry, long Epoch, long LastZxid);

/// <summary>
/// Writes forwarded by a member's applier, in the order its sessions sent them (one ordered channel per member),
/// a burst at a time: the sequencer decides the burst and hands it to the journal as one append.
/// </summary>
public sealed record ForwardedWrites(IReadOnlyList<Sessions.ClientRequest> Requests)
{
    /// <summary>The member whose clients sent them: set by the leader's replication shell from the link they came on (never
    /// on the wire); 0 standalone. A write of a session that has moved to another member is refused (SESSIONMOVED).</summary>
    public long Origin { get; init; }

    public override string ToString() => $"forwarded {Requests.Count} writes";
}

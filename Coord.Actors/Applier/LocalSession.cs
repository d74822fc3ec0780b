using Akka.Actor;
using Coord.Actors.Sessions;
using Coord.Protocol;

namespace Coord.Actors.Applier;

/// <summary>The applier's view of a session bound to this member: its actor, its connection, its FIFO bookkeeping.</summary>
internal sealed class LocalSession(long id, IActorRef actor, int timeoutMs)
{
    public long Id { get; } = id;
    public IActorRef Actor { get; } = actor;
    public int TimeoutMs { get; set; } = timeoutMs;

    /// <summary>The current connection, 0 while the client is away.</summary>
    public long ConnectionId { get; set; }

    /// <summary>The current connection's auth ids: a watch event needs READ for them, else it is dropped.</summary>
    public IReadOnlyList<Id> AuthIds { get; set; } = [];

    /// <summary>
    /// The session's requests not yet answered, in arrival order: writes waiting for their txn to be applied,
    /// and the reads behind them (a read waits for the session's earlier writes). A read with no write before it
    /// is answered at once and never queued.
    /// </summary>
    public Queue<ClientRequest> Outstanding { get; } = new();

    /// <summary>Writes in <see cref="Outstanding"/>.</summary>
    public int PendingWrites { get; set; }

    /// <summary>A read or ping since the last tick: the session is in the applier's touch report.</summary>
    public bool Touched { get; set; }

    /// <summary>What the applier produced for this session during the message it is handling (see <see cref="ApplierActor"/>'s outbox).</summary>
    public List<SessionMessage>? Output { get; set; }

    /// <summary>The client asked to close: later requests get SESSIONEXPIRED.</summary>
    public bool Closing { get; set; }
}

/// <summary>A new session asked for by a connection of this member, waiting for its CreateSessionTxn to be applied.</summary>
internal sealed record PendingConnect(long ConnectionId, bool HasReadOnlyField);

/// <summary>A session reconnecting on a connection of this member, waiting for the sequencer's verdict (<see cref="Sequencer.SessionRevalidated"/>).</summary>
internal sealed record PendingReattach(long SessionId, int TimeoutMs, bool HasReadOnlyField);

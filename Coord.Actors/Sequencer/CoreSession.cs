using Coord.Actors.Sessions;

namespace Coord.Actors.Sequencer;

/// <summary>The sequencer's view of one live session: its actor, its connection, and its FIFO bookkeeping.</summary>
internal sealed class CoreSession(SessionActor actor, int timeoutMs)
{
    public SessionActor Actor { get; } = actor;
    public long Id => Actor.SessionId;
    public int TimeoutMs { get; set; } = timeoutMs;
    public IClientConnection? Connection { get; set; }

    /// <summary>The current connection's auth ids: a watch event needs READ for them, else it is dropped.</summary>
    public IReadOnlyList<Coord.Protocol.Id> AuthIds { get; set; } = [];

    /// <summary>Writes sequenced but not yet applied.</summary>
    public int PendingWrites { get; set; }

    /// <summary>zxid of the session's most recent write.</summary>
    public long LastWriteZxid { get; set; }

    /// <summary>Non-write requests waiting for the session's earlier writes to apply (per-session FIFO).</summary>
    public Queue<(ClientRequest Request, long AfterZxid)> Held { get; } = new();

    /// <summary>A close or expiry txn is sequenced; the session accepts nothing more.</summary>
    public bool Closing { get; set; }
}

/// <summary>Why a sequenced txn exists, which decides what happens once it is applied.</summary>
internal enum PendingKind { ClientWrite, CreateSession, ClientClose, Expiry, Cleanup }

/// <summary>A txn sequenced but not yet applied.</summary>
internal sealed record Pending(
    Txns.SequencedTxn Txn, PendingKind Kind, CoreSession? Session = null, ClientRequest? Request = null,
    ConnectRequested? Connect = null, int NegotiatedTimeoutMs = 0)
{
    public long Zxid => Txn.Header.Zxid;
}

using System.Text.Json.Serialization;
using Coord.Protocol;

namespace Coord.Chaos.History;

// The history a workload records and the checker reads, one JSON object per line (HistoryJson). Times are
// order indices from one counter shared by every client of a run (HistoryClock), not wall clocks: an op's
// `invoke` is taken before its request is handed to the client and `complete` after its reply was seen, so
// the recorded window always contains the real one (a wider window only makes the checker more permissive).

/// <summary>What an op did: ZooKeeper's client operations the checker models.</summary>
public enum OpKind
{
    Create,
    Delete,
    SetData,
    GetData,
    Exists,
    GetChildren,
    Multi,
    Sync,

    /// <summary>checkVersion: only inside a multi.</summary>
    Check,

    /// <summary>The session's end (close or expiry): its ephemerals go. Expiry seen by the client: invoke = the
    /// last time the session was known alive, outcome unknown or ok once the expiry was observed.</summary>
    CloseSession,
}

/// <summary>How an op ended.</summary>
public enum Outcome
{
    /// <summary>A reply with err 0; <see cref="HistoryOp.Result"/> holds what it returned.</summary>
    Ok,

    /// <summary>A reply with a ZooKeeper error code (<see cref="HistoryOp.Error"/>): nothing changed.</summary>
    Error,

    /// <summary>No reply (timeout, connection loss, session expired while in flight): the op may have taken effect
    /// at any time after its invoke, or never.</summary>
    Unknown,
}

/// <summary>One line of a history file.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(InitNode), "init")]
[JsonDerivedType(typeof(HistoryOp), "op")]
[JsonDerivedType(typeof(WatchEvent), "event")]
[JsonDerivedType(typeof(RoleRecord), "role")]
public abstract record HistoryRecord;

/// <summary>A node that existed before the history began (nodes not listed, other than "/", did not exist).</summary>
public sealed record InitNode : HistoryRecord
{
    public required string Path { get; init; }
    public string Data { get; init; } = "";
    public int Version { get; init; }

    /// <summary>Children created under it so far: the next sequential suffix.</summary>
    public int ChildCreates { get; init; }

    public IReadOnlyList<string> Children { get; init; } = [];
    public long EphemeralOwner { get; init; }
    public long? Czxid { get; init; }
    public long? Mzxid { get; init; }
}

/// <summary>One client operation, from invoke to completion.</summary>
public sealed record HistoryOp : HistoryRecord
{
    /// <summary>Unique within the history; violations name ops by it.</summary>
    public required long Id { get; init; }

    /// <summary>The session (or logical client) that issued it; a session's ops take effect in invoke order.</summary>
    public required long Session { get; init; }

    public required long Invoke { get; init; }

    /// <summary>When the reply was seen; for an unknown outcome, when the client gave up (or null).</summary>
    public long? Complete { get; init; }

    public required OpKind Kind { get; init; }

    /// <summary>The node (for a sequential create: the requested prefix). Null for a multi and closeSession.</summary>
    public string? Path { get; init; }

    /// <summary>Data written by create / setData (UTF-8 text).</summary>
    public string? Data { get; init; }

    /// <summary>Expected version of setData / delete / check; -1 = any.</summary>
    public int Version { get; init; } = -1;

    public bool Sequential { get; init; }
    public bool Ephemeral { get; init; }

    /// <summary>The session ended at a time the client cannot know: it saw its session expire, or its own close got no
    /// acknowledgement (the leader may have expired the session before, while the client was reconnecting). Invoke is the
    /// invoke of the session's last write that got a reply (the leader checked the session then), complete when the
    /// client stopped.</summary>
    public bool Expired { get; init; }

    /// <summary>getData / exists / getChildren that left a one-time watch.</summary>
    public bool Watch { get; init; }

    /// <summary>The sub-ops of a multi (create, delete, setData, check).</summary>
    public IReadOnlyList<SubOp>? Ops { get; init; }

    public required Outcome Outcome { get; init; }

    /// <summary>The error of an <see cref="Outcome.Error"/> op (for a multi: the failing sub-op's).</summary>
    public ErrorCode? Error { get; init; }

    /// <summary>A failed multi: the index of the sub-op that failed.</summary>
    public int? FailedIndex { get; init; }

    /// <summary>What an <see cref="Outcome.Ok"/> op returned (fields it does not return stay null).</summary>
    public OpReturn? Result { get; init; }

    public bool IsWrite => Kind is OpKind.Create or OpKind.Delete or OpKind.SetData or OpKind.Multi or OpKind.CloseSession;
    public bool IsRead => Kind is OpKind.GetData or OpKind.Exists or OpKind.GetChildren;

    public override string ToString() => HistoryText.Describe(this);
}

/// <summary>One op of a multi.</summary>
public sealed record SubOp
{
    public required OpKind Kind { get; init; }
    public required string Path { get; init; }
    public string? Data { get; init; }
    public int Version { get; init; } = -1;
    public bool Sequential { get; init; }
    public bool Ephemeral { get; init; }
}

/// <summary>What an op returned.</summary>
public sealed record OpReturn
{
    /// <summary>A create's actual path (with its sequential suffix).</summary>
    public string? Path { get; init; }

    /// <summary>getData's data.</summary>
    public string? Data { get; init; }

    /// <summary>The node's Stat (getData, exists, setData, create2). For exists, null = no such node.</summary>
    public StatView? Stat { get; init; }

    /// <summary>getChildren's names.</summary>
    public IReadOnlyList<string>? Children { get; init; }

    /// <summary>A successful multi's per-op results, in order.</summary>
    public IReadOnlyList<OpReturn>? Results { get; init; }
}

/// <summary>The Stat fields a history keeps; any may be unknown.</summary>
public sealed record StatView
{
    public long? Czxid { get; init; }
    public long? Mzxid { get; init; }
    public long? Pzxid { get; init; }
    public int? Version { get; init; }
    public int? Cversion { get; init; }
    public int? NumChildren { get; init; }
    public long? EphemeralOwner { get; init; }

    public static StatView From(Stat s) => new()
    {
        Czxid = s.Czxid, Mzxid = s.Mzxid, Pzxid = s.Pzxid, Version = s.Version, Cversion = s.Cversion,
        NumChildren = s.NumChildren, EphemeralOwner = s.EphemeralOwner,
    };
}

/// <summary>
/// A watch notification as a session received it. <see cref="At"/> is on the same clock as op times and places
/// the event among the session's replies: it arrived after every reply of the session completed before
/// <c>At</c> and before every reply completed after it, so a recorder must take it in the order the connection
/// delivered it.
/// </summary>
public sealed record WatchEvent : HistoryRecord
{
    public required long Session { get; init; }
    public required long At { get; init; }
    public required string Path { get; init; }
    public required EventType Event { get; init; }

    /// <summary>The zxid of the change that fired it, when the recorder knows it.</summary>
    public long? Zxid { get; init; }

    public override string ToString() => $"event {Event} {Path} to session {Session} at {At}" + (Zxid is { } z ? $" zxid 0x{z:x}" : "");
}

/// <summary>What a workload built a node for, or a promise about a session, so the checker can apply a direct check.</summary>
public enum Role
{
    /// <summary><see cref="RoleRecord.Path"/> is a counter: its data is an integer, changed only by compare-and-set increments
    /// (getData, then setData of value+1 with the version read).</summary>
    Counter,

    /// <summary><see cref="RoleRecord.Path"/> is a lock (ZooKeeper's recipe: ephemeral-sequential children, the lowest
    /// holds); <see cref="RoleRecord.Resource"/> the node its holders write by compare-and-set, data
    /// "token:tag", only while their token (the lock node's sequence number) is at least the one there.</summary>
    Lock,

    /// <summary><see cref="RoleRecord.Session"/> is a final reader: it began after every other session of the history had
    /// been closed (or abandoned for three session timeouts), so after a sync its reads see every ephemeral gone.</summary>
    Final,
}

/// <summary>A role declaration (see <see cref="Role"/>).</summary>
public sealed record RoleRecord : HistoryRecord
{
    public required Role Role { get; init; }
    public string? Path { get; init; }
    public string? Resource { get; init; }
    public long? Session { get; init; }
}

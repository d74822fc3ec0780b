using Coord.Protocol;

namespace Coord.Actors.Tree;

/// <summary>
/// A watch event implied by an applied txn: NodeChildrenChanged carries the parent's path. <see cref="Acl"/>
/// is the ACL a watcher needs READ on to receive it (the node's; the parent's for child events), as
/// ZooKeeper 3.8.4/3.9.2+ (and Debian's patched 3.8.0) drop notifications a connection could not read.
/// </summary>
public readonly record struct WatchTrigger(string Path, EventType Type, IReadOnlyList<Acl> Acl)
{
    public override string ToString() => $"{Type} {Path}";
}

/// <summary>
/// Result of one applied op. <see cref="Type"/> is the txn kind (Create, CreateContainer, CreateTtl, Delete,
/// SetData, SetAcl, Check, CreateSession, CloseSession, or Error with <see cref="Err"/>); <see cref="Path"/> is the
/// target (the created path for creates); <see cref="Stat"/> is the node's new stat for creates, setData and
/// setACL (default otherwise). Whether a create answers with CreateResponse or Create2Response depends on the
/// request opcode, which the replying session holds: see <see cref="TreeResponses"/>.
/// </summary>
public readonly record struct OpResult(OpCode Type, ErrorCode Err, string? Path, Stat Stat)
{
    public static OpResult Error(ErrorCode err) => new(OpCode.Error, err, null, default);

    public override string ToString() => Type == OpCode.Error ? $"Error {Err}" : $"{Type} {Path}";
}

/// <summary>One result per op (a single op, or each op of a multi; empty for an empty multi) and the triggers in op order.</summary>
public sealed record ApplyResult(IReadOnlyList<OpResult> Results, IReadOnlyList<WatchTrigger> Triggers)
{
    public override string ToString() =>
        $"results=[{string.Join("; ", Results)}] triggers=[{string.Join("; ", Triggers)}]";
}

public sealed record SessionRecord(long SessionId, int TimeoutMs, byte[] Password)
{
    public override string ToString() => $"session 0x{SessionId:x} timeout={TimeoutMs}ms";
}

public enum WatchKind { Data, Exist, Child }

/// <summary>Outcome of a read: error code, response record (null on error) and the watch to register, if any.</summary>
public sealed record ReadOutcome(ErrorCode Err, object? Body, WatchKind? WatchToRegister)
{
    public override string ToString() => $"{Err} {Body} watch={WatchToRegister?.ToString() ?? "none"}";
}

using Coord.Protocol;

namespace Coord.Client;

/// <summary>A node's data and Stat.</summary>
/// <param name="Data">The node's bytes (empty when it holds none).</param>
/// <param name="Stat">The node's Stat at the time of the read.</param>
public sealed record DataResult(byte[] Data, Stat Stat);

/// <summary>A node's child names (unordered, not full paths) and the parent's Stat.</summary>
/// <param name="Children">Child names.</param>
/// <param name="Stat">The parent's Stat.</param>
public sealed record ChildrenResult(IReadOnlyList<string> Children, Stat Stat);

/// <summary>A node's ACL and Stat.</summary>
/// <param name="Acl">The ACL entries.</param>
/// <param name="Stat">The node's Stat.</param>
public sealed record AclResult(IReadOnlyList<Acl> Acl, Stat Stat);

/// <summary>The result of one op of a transaction or of <see cref="CoordClient.MultiReadAsync"/>.</summary>
public abstract record OpResult
{
    /// <summary>Ok for a successful op; otherwise the op's error code.</summary>
    public virtual ErrorCode Code => ErrorCode.Ok;

    /// <summary>A create's result: the created path (with any sequence suffix) and, where the server sends it, its Stat.</summary>
    public sealed record Create(string Path, Stat? Stat) : OpResult;

    /// <summary>A delete's result.</summary>
    public sealed record Delete : OpResult;

    /// <summary>A setData's result: the node's new Stat.</summary>
    public sealed record SetData(Stat Stat) : OpResult;

    /// <summary>A version check's result.</summary>
    public sealed record Check : OpResult;

    /// <summary>A getData's result (multiRead).</summary>
    public sealed record GetData(byte[] Data, Stat Stat) : OpResult;

    /// <summary>A getChildren's result (multiRead).</summary>
    public sealed record GetChildren(IReadOnlyList<string> Children) : OpResult;

    /// <summary>A failed (or, in a failed transaction, rolled-back: <see cref="ErrorCode.Ok"/>) op.</summary>
    public sealed record Error(ErrorCode Err) : OpResult
    {
        /// <inheritdoc />
        public override ErrorCode Code => Err;
    }
}

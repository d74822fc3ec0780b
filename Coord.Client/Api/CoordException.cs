using Coord.Protocol;

namespace Coord.Client;

/// <summary>
/// A failed operation, carrying ZooKeeper's error code. Each code a caller is expected to handle has its own
/// subclass (<see cref="NoNodeException"/>, <see cref="BadVersionException"/>, ...); codes without one surface
/// as a plain <see cref="CoordException"/>.
/// </summary>
public class CoordException : Exception
{
    /// <summary>Creates an exception for <paramref name="code"/>, optionally naming the path it concerns.</summary>
    public CoordException(ErrorCode code, string? path = null, string? message = null, Exception? inner = null)
        : base(message ?? Describe(code, path), inner)
    {
        Code = code;
        Path = path;
    }

    /// <summary>The server's (or, for connection and session errors, the client's) error code.</summary>
    public ErrorCode Code { get; }

    /// <summary>The path the failed operation was about (chroot removed), when there is one.</summary>
    public string? Path { get; }

    /// <summary>Maps an error code to its exception type.</summary>
    public static CoordException Create(ErrorCode code, string? path = null) => code switch
    {
        ErrorCode.ConnectionLoss => new ConnectionLossException(path),
        ErrorCode.OperationTimeout => new OperationTimeoutException(path),
        ErrorCode.BadArguments => new BadArgumentsException(path),
        ErrorCode.Unimplemented => new UnimplementedException(path),
        ErrorCode.NoNode => new NoNodeException(path),
        ErrorCode.NoAuth => new NoAuthException(path),
        ErrorCode.BadVersion => new BadVersionException(path),
        ErrorCode.NoChildrenForEphemerals => new NoChildrenForEphemeralsException(path),
        ErrorCode.NodeExists => new NodeExistsException(path),
        ErrorCode.NotEmpty => new NotEmptyException(path),
        ErrorCode.SessionExpired => new SessionExpiredException(),
        ErrorCode.InvalidAcl => new InvalidAclException(path),
        ErrorCode.AuthFailed => new AuthFailedException(),
        ErrorCode.SessionMoved => new SessionMovedException(path),
        ErrorCode.NotReadOnly => new NotReadOnlyException(path),
        ErrorCode.NoWatcher => new NoWatcherException(path),
        ErrorCode.QuotaExceeded => new QuotaExceededException(path),
        ErrorCode.ThrottledOp => new ThrottledOpException(path),
        _ => new CoordException(code, path),
    };

    private static string Describe(ErrorCode code, string? path) => code switch
    {
        ErrorCode.NoNode => $"Node does not exist: {path}",
        ErrorCode.NodeExists => $"Node already exists: {path}",
        ErrorCode.BadVersion => $"Version does not match: {path}",
        ErrorCode.NotEmpty => $"Node has children: {path}",
        ErrorCode.NoAuth => $"Not authorized: {path}",
        ErrorCode.NoChildrenForEphemerals => $"Ephemeral nodes may not have children: {path}",
        ErrorCode.SessionExpired => "The session has expired; create a new client",
        ErrorCode.ConnectionLoss => "The connection was lost before the reply arrived; the operation may or may not have been applied",
        _ => path is null ? $"{code}" : $"{code}: {path}",
    };
}

/// <summary>The connection dropped while the call was outstanding; it may or may not have been applied.</summary>
public sealed class ConnectionLossException(string? path = null) : CoordException(ErrorCode.ConnectionLoss, path);

/// <summary>The server did not answer in time.</summary>
public sealed class OperationTimeoutException(string? path = null) : CoordException(ErrorCode.OperationTimeout, path);

/// <summary>The request was malformed (e.g. an invalid path or a TTL on a server without extended types).</summary>
public sealed class BadArgumentsException(string? path = null) : CoordException(ErrorCode.BadArguments, path);

/// <summary>The server does not implement the operation.</summary>
public sealed class UnimplementedException(string? path = null) : CoordException(ErrorCode.Unimplemented, path);

/// <summary>The node (or, for a create, its parent) does not exist.</summary>
public sealed class NoNodeException(string? path = null) : CoordException(ErrorCode.NoNode, path);

/// <summary>The session's identities lack the permission the operation needs.</summary>
public sealed class NoAuthException(string? path = null) : CoordException(ErrorCode.NoAuth, path);

/// <summary>The expected version did not match the node's version.</summary>
public sealed class BadVersionException(string? path = null) : CoordException(ErrorCode.BadVersion, path);

/// <summary>A child was created under an ephemeral node.</summary>
public sealed class NoChildrenForEphemeralsException(string? path = null) : CoordException(ErrorCode.NoChildrenForEphemerals, path);

/// <summary>The node already exists.</summary>
public sealed class NodeExistsException(string? path = null) : CoordException(ErrorCode.NodeExists, path);

/// <summary>The node has children and cannot be deleted.</summary>
public sealed class NotEmptyException(string? path = null) : CoordException(ErrorCode.NotEmpty, path);

/// <summary>
/// The session has expired: its ephemerals are gone and its watches are lost. The client is dead; create a
/// new <see cref="CoordClient"/>.
/// </summary>
public sealed class SessionExpiredException() : CoordException(ErrorCode.SessionExpired);

/// <summary>The ACL is empty or invalid.</summary>
public sealed class InvalidAclException(string? path = null) : CoordException(ErrorCode.InvalidAcl, path);

/// <summary>The server rejected the credentials passed to <see cref="CoordClient.AddAuthAsync(string, byte[], CancellationToken)"/>.</summary>
public sealed class AuthFailedException() : CoordException(ErrorCode.AuthFailed);

/// <summary>The session moved to another server.</summary>
public sealed class SessionMovedException(string? path = null) : CoordException(ErrorCode.SessionMoved, path);

/// <summary>A write was sent to a read-only server.</summary>
public sealed class NotReadOnlyException(string? path = null) : CoordException(ErrorCode.NotReadOnly, path);

/// <summary>No watch of the given type is registered on the path.</summary>
public sealed class NoWatcherException(string? path = null) : CoordException(ErrorCode.NoWatcher, path);

/// <summary>The write would exceed a hard quota.</summary>
public sealed class QuotaExceededException(string? path = null) : CoordException(ErrorCode.QuotaExceeded, path);

/// <summary>The server is shedding load and refused the operation; it may be retried later.</summary>
public sealed class ThrottledOpException(string? path = null) : CoordException(ErrorCode.ThrottledOp, path);

/// <summary>
/// A transaction (multi) failed as a whole and nothing was applied. <see cref="Results"/> has one entry per op:
/// the failing op carries its real code, ops before it <see cref="ErrorCode.Ok"/> (rolled back), ops after it
/// <see cref="ErrorCode.RuntimeInconsistency"/>.
/// </summary>
public sealed class TransactionFailedException : CoordException
{
    /// <summary>Creates the exception from the per-op results of a failed multi.</summary>
    public TransactionFailedException(IReadOnlyList<OpResult> results, ErrorCode code, string? path, int failedIndex)
        : base(code, path, $"Transaction failed at op {failedIndex} ({code}: {path})")
    {
        Results = results;
        FailedIndex = failedIndex;
    }

    /// <summary>Every op's result, in the order the ops were added.</summary>
    public IReadOnlyList<OpResult> Results { get; }

    /// <summary>Index of the op that failed.</summary>
    public int FailedIndex { get; }
}

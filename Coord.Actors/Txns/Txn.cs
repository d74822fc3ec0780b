using Coord.Protocol;

namespace Coord.Actors.Txns;

/// <summary>
/// A self-contained change: applying it needs nothing but the tree state it was prepared against.
/// Records hold arrays and lists, so record equality is by reference for those; compare encoded bytes
/// (<see cref="TxnCodec"/>) or <see cref="object.ToString"/> instead.
/// </summary>
public abstract record Txn
{
    public abstract TxnType Type { get; }

    private protected static string Describe(byte[]? data) => data is null ? "null" : $"{data.Length}B";
    private protected static string Describe(IReadOnlyList<Acl> acl) => "[" + string.Join(",", acl) + "]";
}

/// <summary>
/// Creates a node. <see cref="EphemeralOwner"/> uses <see cref="EphemeralOwners"/>' encoding and decides
/// <see cref="Type"/>; <see cref="ParentCversion"/> is the parent's new stored child-create counter.
/// </summary>
public sealed record CreateTxn(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, long EphemeralOwner, int ParentCversion) : Txn
{
    public override TxnType Type =>
        EphemeralOwners.IsContainer(EphemeralOwner) ? TxnType.CreateContainer
        : EphemeralOwners.IsTtl(EphemeralOwner) ? TxnType.CreateTtl
        : TxnType.Create;

    public override string ToString() =>
        $"{Type} {Path} data={Describe(Data)} acl={Describe(Acl)} owner=0x{EphemeralOwner:x} pcv={ParentCversion}";
}

/// <summary>Deletes a node (client delete, deleteContainer and TTL expiry all produce this).</summary>
public sealed record DeleteTxn(string Path) : Txn
{
    public override TxnType Type => TxnType.Delete;
    public override string ToString() => $"Delete {Path}";
}

/// <summary><see cref="Version"/> is the node's new data version.</summary>
public sealed record SetDataTxn(string Path, byte[]? Data, int Version) : Txn
{
    public override TxnType Type => TxnType.SetData;
    public override string ToString() => $"SetData {Path} data={Describe(Data)} v={Version}";
}

/// <summary><see cref="Version"/> is the node's new aversion.</summary>
public sealed record SetAclTxn(string Path, IReadOnlyList<Acl> Acl, int Version) : Txn
{
    public override TxnType Type => TxnType.SetAcl;
    public override string ToString() => $"SetAcl {Path} acl={Describe(Acl)} av={Version}";
}

/// <summary>A passed version check inside a multi; <see cref="Version"/> is the version that was checked. Changes nothing.</summary>
public sealed record CheckVersionTxn(string Path, int Version) : Txn
{
    public override TxnType Type => TxnType.Check;
    public override string ToString() => $"Check {Path} v={Version}";
}

/// <summary>A failed write: consumes a zxid and changes nothing.</summary>
public sealed record ErrorTxn(ErrorCode Err) : Txn
{
    public override TxnType Type => TxnType.Error;
    public override string ToString() => $"Error {Err}";
}

/// <summary>
/// All ops of one multi under one zxid. A failed multi is a MultiTxn of ErrorTxns only: Ok for ops before
/// the failing one, its real code, then RuntimeInconsistency; applying it changes nothing.
/// </summary>
public sealed record MultiTxn(IReadOnlyList<Txn> Txns) : Txn
{
    public override TxnType Type => TxnType.Multi;
    public bool Failed => Txns.Any(t => t is ErrorTxn);
    public override string ToString() => "Multi[" + string.Join("; ", Txns) + "]";
}

public sealed record CreateSessionTxn(long SessionId, int TimeoutMs, byte[] Password) : Txn
{
    public override TxnType Type => TxnType.CreateSession;
    public override string ToString() => $"CreateSession 0x{SessionId:x} timeout={TimeoutMs}ms";
}

/// <summary>Closes a session and deletes exactly the listed ephemerals (all it owns when prepared).</summary>
public sealed record CloseSessionTxn(long SessionId, IReadOnlyList<string> PathsToDelete) : Txn
{
    public override TxnType Type => TxnType.CloseSession;
    public override string ToString() => $"CloseSession 0x{SessionId:x} delete=[{string.Join(",", PathsToDelete)}]";
}

/// <summary>ZooKeeper's TxnHeader: who asked (session, cxid), the txn's zxid and the leader's wall time.</summary>
public sealed record TxnHeader(long SessionId, int Cxid, long Zxid, long TimeMs)
{
    public override string ToString() => $"zxid=0x{Zxid:x} session=0x{SessionId:x} cxid={Cxid} t={TimeMs}";
}

public sealed record SequencedTxn(TxnHeader Header, Txn Body)
{
    public override string ToString() => $"{Header} {Body}";
}

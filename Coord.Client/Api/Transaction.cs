using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Client;

/// <summary>
/// Builds a multi: ops applied atomically, all or none. Obtain one from <see cref="CoordClient.Transaction"/>,
/// chain ops and <see cref="CommitAsync"/>. Not retried automatically.
/// </summary>
public sealed class Transaction
{
    private readonly CoordClient client;
    private readonly List<MultiOp> ops = [];
    private readonly List<string> paths = [];

    internal Transaction(CoordClient client) => this.client = client;

    /// <summary>Adds a create (any mode; TTL modes need <paramref name="ttl"/>).</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="data">The node's data.</param>
    /// <param name="acl">The ACL; null = open.</param>
    /// <param name="mode">The create mode.</param>
    /// <param name="ttl">Time to live of a TTL node.</param>
    public Transaction Create(string path, byte[]? data, IReadOnlyList<Acl>? acl = null, CreateMode mode = CreateMode.Persistent, TimeSpan? ttl = null)
    {
        var (op, body) = client.CreateOp(path, data, acl, mode, ttl, withStat: false);
        return Add(path, op, (IPathRequest)body);
    }

    /// <summary>Adds a delete.</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="version">Expected version, or -1.</param>
    public Transaction Delete(string path, int version = -1) => Add(path, OpCode.Delete, new DeleteRequest(client.ToServer(path), version));

    /// <summary>Adds a setData.</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="data">The new data.</param>
    /// <param name="version">Expected version, or -1.</param>
    public Transaction SetData(string path, byte[]? data, int version = -1) =>
        Add(path, OpCode.SetData, new SetDataRequest(client.ToServer(path), data ?? [], version));

    /// <summary>Adds a version check: the transaction fails unless the node has this version.</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="version">Required version.</param>
    public Transaction Check(string path, int version) => Add(path, OpCode.Check, new CheckVersionRequest(client.ToServer(path), version));

    private Transaction Add(string path, OpCode op, IPathRequest body)
    {
        ops.Add(new MultiOp(op, body));
        paths.Add(path);
        return this;
    }

    /// <summary>Commits the ops; returns one result per op, in order.</summary>
    /// <param name="ct">Cancels the wait.</param>
    /// <exception cref="TransactionFailedException">An op failed; nothing was applied; every op's result is attached.</exception>
    public async Task<IReadOnlyList<OpResult>> CommitAsync(CancellationToken ct = default)
    {
        if (ops.Count == 0) return [];
        var results = await client.CallAsync(OpCode.Multi, new MultiRequest([.. ops]), null,
            CoordClient.OkOr(null, (ErrorCode _, ref JuteReader r) => MultiResponse.Read(ref r).Results), ct).ConfigureAwait(false);
        var mapped = results.Select(client.MapResult).ToList();
        int failed = mapped.FindIndex(m => m is OpResult.Error { Err: not ErrorCode.Ok and not ErrorCode.RuntimeInconsistency });
        if (failed < 0) failed = mapped.FindIndex(m => m is OpResult.Error);
        if (failed >= 0) throw new TransactionFailedException(mapped, mapped[failed].Code, paths[failed], failed);
        return mapped;
    }
}

public sealed partial class CoordClient
{
    /// <summary>Starts a transaction (multi) builder.</summary>
    public Transaction Transaction() => new(this);

    /// <summary>
    /// Reads several nodes in one round trip (multiRead): <see cref="ReadOp.GetData"/> and
    /// <see cref="ReadOp.GetChildren"/>. Never fails as a whole; each op yields its result or an
    /// <see cref="OpResult.Error"/>.
    /// </summary>
    /// <param name="reads">The reads, in order.</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task<IReadOnlyList<OpResult>> MultiReadAsync(IEnumerable<ReadOp> reads, CancellationToken ct = default)
    {
        var ops = reads.Select(r => new MultiOp(r.Children ? OpCode.GetChildren : OpCode.GetData, new PathWatchRequest(ToServer(r.Path), false))).ToList();
        return RetryAsync(() => CallAsync<IReadOnlyList<OpResult>>(OpCode.MultiRead, new MultiRequest(ops), null,
            OkOr<IReadOnlyList<OpResult>>(null, (ErrorCode _, ref JuteReader r) => MultiResponse.Read(ref r).Results.Select(MapResult).ToList()), ct), ct);
    }

    internal OpResult MapResult(MultiResult result) => result.Body switch
    {
        _ when result.Type == OpCode.Error => new OpResult.Error(result.Err),
        CreateResponse c => new OpResult.Create(FromServer(c.Path), null),
        Create2Response c => new OpResult.Create(FromServer(c.Path), c.Stat),
        StatResponse s => new OpResult.SetData(s.Stat),
        GetDataResponse g => new OpResult.GetData(g.Data ?? [], g.Stat),
        GetChildrenResponse g => new OpResult.GetChildren(g.Children),
        null when result.Type == OpCode.Delete => new OpResult.Delete(),
        null when result.Type == OpCode.Check => new OpResult.Check(),
        _ => throw new InvalidOperationException($"unexpected multi result {result}"),
    };
}

/// <summary>One read of <see cref="CoordClient.MultiReadAsync"/>.</summary>
/// <param name="Path">The node's path.</param>
/// <param name="Children">True for getChildren, false for getData.</param>
public sealed record ReadOp(string Path, bool Children)
{
    /// <summary>Reads a node's data and Stat.</summary>
    /// <param name="path">The node's path.</param>
    public static ReadOp GetData(string path) => new(path, false);

    /// <summary>Reads a node's child names.</summary>
    /// <param name="path">The node's path.</param>
    public static ReadOp GetChildren(string path) => new(path, true);
}

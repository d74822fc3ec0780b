using System.Text;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Client;

public sealed partial class CoordClient
{
    /// <summary>
    /// Creates a node and returns its path (with the sequence suffix for sequential modes). Container and TTL
    /// modes use createContainer / createTTL; <paramref name="ttl"/> is required for the TTL modes and only
    /// allowed there. Never retried automatically (the first attempt may have been applied).
    /// </summary>
    /// <param name="path">The node's path.</param>
    /// <param name="data">The node's data (null = empty).</param>
    /// <param name="acl">The ACL; null = <see cref="Acl.OpenAclUnsafe"/> (world:anyone, all permissions).</param>
    /// <param name="mode">Persistent, ephemeral, sequential, container or TTL.</param>
    /// <param name="ttl">Time to live of a TTL node.</param>
    /// <param name="ct">Cancels the wait; a reply that arrives later is discarded.</param>
    /// <exception cref="NodeExistsException">The node exists.</exception>
    /// <exception cref="NoNodeException">The parent does not exist.</exception>
    /// <exception cref="NoChildrenForEphemeralsException">The parent is ephemeral.</exception>
    public Task<string> CreateAsync(string path, byte[]? data, IReadOnlyList<Acl>? acl = null,
        CreateMode mode = CreateMode.Persistent, TimeSpan? ttl = null, CancellationToken ct = default) =>
        CreateCoreAsync(path, data, acl, mode, ttl, withStat: false, static c => c.Path, ct);

    /// <summary>Creates a node like <see cref="CreateAsync"/> and also returns its Stat (create2).</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="data">The node's data (null = empty).</param>
    /// <param name="acl">The ACL; null = <see cref="Acl.OpenAclUnsafe"/>.</param>
    /// <param name="mode">Persistent, ephemeral, sequential, container or TTL.</param>
    /// <param name="ttl">Time to live of a TTL node.</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task<OpResult.Create> CreateWithStatAsync(string path, byte[]? data, IReadOnlyList<Acl>? acl = null,
        CreateMode mode = CreateMode.Persistent, TimeSpan? ttl = null, CancellationToken ct = default) =>
        CreateCoreAsync(path, data, acl, mode, ttl, withStat: true, static c => c, ct);

    // The returned task is the call's own task (no async wrapper), so un-retried calls complete in issue order.
    private Task<T> CreateCoreAsync<T>(string path, byte[]? data, IReadOnlyList<Acl>? acl, CreateMode mode,
        TimeSpan? ttl, bool withStat, Func<OpResult.Create, T> project, CancellationToken ct)
    {
        var (op, body) = CreateOp(path, data, acl, mode, ttl, withStat);
        return CallAsync(op, body, path, OkOr(path, (ErrorCode _, ref JuteReader r) =>
        {
            if (op == OpCode.Create) return project(new OpResult.Create(FromServer(CreateResponse.Read(ref r).Path), null));
            var created = Create2Response.Read(ref r);
            return project(new OpResult.Create(FromServer(created.Path), created.Stat));
        }), ct);
    }

    internal (OpCode Op, IJuteWritable Body) CreateOp(string path, byte[]? data, IReadOnlyList<Acl>? acl, CreateMode mode,
        TimeSpan? ttl, bool withStat)
    {
        string serverPath = ToServer(path, CreateModes.IsSequential(mode));
        acl ??= Acl.OpenAclUnsafe;
        if (CreateModes.IsTtl(mode))
        {
            if (ttl is not { } t || t <= TimeSpan.Zero) throw new ArgumentException("a TTL mode needs a positive ttl", nameof(ttl));
            return (OpCode.CreateTtl, new CreateTtlRequest(serverPath, data ?? [], acl, (int)mode, (long)t.TotalMilliseconds));
        }
        if (ttl is not null) throw new ArgumentException($"ttl is only allowed with a TTL mode, not {mode}", nameof(ttl));
        var request = new CreateRequest(serverPath, data ?? [], acl, (int)mode);
        return (mode == CreateMode.Container ? OpCode.CreateContainer : withStat ? OpCode.Create2 : OpCode.Create, request);
    }

    /// <summary>Deletes a node. With an explicit <paramref name="version"/> the call is retried after a connection
    /// loss (a repeated versioned delete cannot remove a newer node); with -1 (any version) it is not.</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="version">Expected version, or -1 for any.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    /// <exception cref="BadVersionException">The version did not match.</exception>
    /// <exception cref="NotEmptyException">The node has children.</exception>
    public Task DeleteAsync(string path, int version = -1, CancellationToken ct = default)
    {
        var body = new DeleteRequest(ToServer(path), version);
        Task<bool> Once() => CallAsync(OpCode.Delete, body, path, OkOr(path, static (ErrorCode _, ref JuteReader _) => true), ct);
        return version == -1 ? Once() : RetryAsync(Once, ct);
    }

    /// <summary>The node's Stat, or null if it does not exist. With a <paramref name="watcher"/>, a one-shot watch
    /// is left that fires on the node's creation, deletion or data change.</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="watcher">One-shot callback, run on the client's event dispatcher.</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task<Stat?> ExistsAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken ct = default)
    {
        string serverPath = ToServer(path);
        var body = new PathWatchRequest(serverPath, watcher is not null);
        var register = watcher is null ? null : session.RegisterOnReply(serverPath, new Watches.Watcher(watcher), Watches.WatchKind.Data, Watches.WatchKind.Exist);
        return RetryAsync(() => CallAsync(OpCode.Exists, body, path, (ErrorCode err, ref JuteReader r) => err switch
        {
            ErrorCode.Ok => StatResponse.Read(ref r).Stat,
            ErrorCode.NoNode => (Stat?)null,
            _ => throw CoordException.Create(err, path),
        }, ct, register), ct);
    }

    /// <summary>The node's data and Stat. With a <paramref name="watcher"/>, a one-shot watch fires on its next
    /// data change or deletion. For a stream of values see <see cref="WatchDataAsync"/>.</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="watcher">One-shot callback, run on the client's event dispatcher.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    public Task<DataResult> GetDataAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken ct = default)
    {
        string serverPath = ToServer(path);
        var body = new PathWatchRequest(serverPath, watcher is not null);
        var register = watcher is null ? null : session.RegisterOnReply(serverPath, new Watches.Watcher(watcher), Watches.WatchKind.Data);
        return RetryAsync(() => CallAsync(OpCode.GetData, body, path, OkOr(path, static (ErrorCode _, ref JuteReader r) =>
        {
            var response = GetDataResponse.Read(ref r);
            return new DataResult(response.Data ?? [], response.Stat);
        }), ct, register), ct);
    }

    /// <summary>Replaces the node's data and returns its new Stat. Retried after a connection loss only with an
    /// explicit <paramref name="version"/>.</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="data">The new data (null = empty).</param>
    /// <param name="version">Expected version, or -1 for any.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    /// <exception cref="BadVersionException">The version did not match.</exception>
    public Task<Stat> SetDataAsync(string path, byte[]? data, int version = -1, CancellationToken ct = default)
    {
        var body = new SetDataRequest(ToServer(path), data ?? [], version);
        Task<Stat> Once() => CallAsync(OpCode.SetData, body, path, OkOr(path, static (ErrorCode _, ref JuteReader r) => StatResponse.Read(ref r).Stat), ct);
        return version == -1 ? Once() : RetryAsync(Once, ct);
    }

    /// <summary>The node's child names (unordered). With a <paramref name="watcher"/>, a one-shot watch fires when a
    /// child is added or removed, or the node is deleted.</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="watcher">One-shot callback, run on the client's event dispatcher.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    public async Task<IReadOnlyList<string>> GetChildrenAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken ct = default) =>
        (await GetChildrenWithStatAsync(path, watcher, ct).ConfigureAwait(false)).Children;

    /// <summary>The node's child names and its own Stat (getChildren2).</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="watcher">One-shot callback, run on the client's event dispatcher.</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task<ChildrenResult> GetChildrenWithStatAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken ct = default)
    {
        string serverPath = ToServer(path);
        var body = new PathWatchRequest(serverPath, watcher is not null);
        var register = watcher is null ? null : session.RegisterOnReply(serverPath, new Watches.Watcher(watcher), Watches.WatchKind.Child);
        return RetryAsync(() => CallAsync(OpCode.GetChildren2, body, path, OkOr(path, static (ErrorCode _, ref JuteReader r) =>
        {
            var response = GetChildren2Response.Read(ref r);
            return new ChildrenResult(response.Children, response.Stat);
        }), ct, register), ct);
    }

    /// <summary>The node's ACL and Stat.</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task<AclResult> GetAclAsync(string path, CancellationToken ct = default)
    {
        var body = new PathRequest(ToServer(path));
        return RetryAsync(() => CallAsync(OpCode.GetAcl, body, path, OkOr(path, static (ErrorCode _, ref JuteReader r) =>
        {
            var response = GetAclResponse.Read(ref r);
            return new AclResult(response.Acl, response.Stat);
        }), ct), ct);
    }

    /// <summary>Replaces the node's ACL; returns its new Stat. Retried only with an explicit <paramref name="aclVersion"/>.</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="acl">The new ACL.</param>
    /// <param name="aclVersion">Expected ACL version (Stat.Aversion), or -1 for any.</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task<Stat> SetAclAsync(string path, IReadOnlyList<Acl> acl, int aclVersion = -1, CancellationToken ct = default)
    {
        var body = new SetAclRequest(ToServer(path), acl, aclVersion);
        Task<Stat> Once() => CallAsync(OpCode.SetAcl, body, path, OkOr(path, static (ErrorCode _, ref JuteReader r) => StatResponse.Read(ref r).Stat), ct);
        return aclVersion == -1 ? Once() : RetryAsync(Once, ct);
    }

    /// <summary>Waits until the server this client is connected to has applied every write committed before the
    /// call, so a following read sees them.</summary>
    /// <param name="path">The path to sync (any existing path; ZooKeeper syncs the whole tree).</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task SyncAsync(string path = "/", CancellationToken ct = default)
    {
        var body = new PathRequest(ToServer(path));
        return RetryAsync(() => CallAsync(OpCode.Sync, body, path, OkOr(path, static (ErrorCode _, ref JuteReader _) => true), ct), ct);
    }

    /// <summary>The full paths of this session's ephemeral nodes under <paramref name="prefix"/>.</summary>
    /// <param name="prefix">Path prefix ("/" = all).</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task<IReadOnlyList<string>> GetEphemeralsAsync(string prefix = "/", CancellationToken ct = default)
    {
        var body = new PathRequest(ToServer(prefix));
        return RetryAsync(() => CallAsync(OpCode.GetEphemerals, body, prefix, OkOr<IReadOnlyList<string>>(prefix, (ErrorCode _, ref JuteReader r) =>
            GetEphemeralsResponse.Read(ref r).Ephemerals.Select(FromServer).ToList()), ct), ct);
    }

    /// <summary>The number of all descendants of a node (recursive).</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task<int> GetAllChildrenNumberAsync(string path, CancellationToken ct = default)
    {
        var body = new PathRequest(ToServer(path));
        return RetryAsync(() => CallAsync(OpCode.GetAllChildrenNumber, body, path, OkOr(path, static (ErrorCode _, ref JuteReader r) =>
            GetAllChildrenNumberResponse.Read(ref r).TotalNumber), ct), ct);
    }

    /// <summary>The identities the server associates with this session (scheme and user per auth).</summary>
    /// <param name="ct">Cancels the wait.</param>
    public Task<IReadOnlyList<ClientInfo>> WhoAmIAsync(CancellationToken ct = default) =>
        RetryAsync(() => CallAsync(OpCode.WhoAmI, null, null, OkOr<IReadOnlyList<ClientInfo>>(null, static (ErrorCode _, ref JuteReader r) =>
            WhoAmIResponse.Read(ref r).ClientInfo), ct), ct);

    /// <summary>Adds credentials to the session (e.g. scheme "digest", auth "user:password"). They are re-sent after
    /// every reconnect. Completes when the server accepted them.</summary>
    /// <param name="scheme">The auth scheme.</param>
    /// <param name="auth">The scheme-specific credentials.</param>
    /// <param name="ct">Cancels the wait (the credentials stay added).</param>
    /// <exception cref="AuthFailedException">The server rejected them.</exception>
    public Task AddAuthAsync(string scheme, byte[] auth, CancellationToken ct = default) =>
        session.AddAuthAsync(new Sessions.AuthEntry(scheme, auth)).WaitAsync(ct);

    /// <summary>Adds credentials given as UTF-8 text, e.g. <c>AddAuthAsync("digest", "user:password")</c>.</summary>
    /// <param name="scheme">The auth scheme.</param>
    /// <param name="auth">The credentials.</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task AddAuthAsync(string scheme, string auth, CancellationToken ct = default) =>
        AddAuthAsync(scheme, Encoding.UTF8.GetBytes(auth), ct);
}

using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>
/// A fair, re-entrant distributed mutex (ZooKeeper's lock recipe, as in Curator's InterProcessMutex). Each
/// acquisition creates an ephemeral sequential <c>_c_&lt;guid&gt;-lock-</c> node under the lock path; the lowest
/// holds the lock and every other waiter watches only its predecessor, so a release wakes exactly one waiter
/// (no herd effect). The GUID prefix (protected mode) lets a create whose reply was lost to a connection loss be
/// found again instead of leaking a node that would block everyone until the session ends.
/// </summary>
/// <remarks>
/// One instance is one holder: acquiring again while held only counts (re-entrant), and the node is deleted
/// when the last handle is disposed. Calls on one instance must not overlap; use one instance per task that
/// competes. The lock is tied to the client's session: if the session expires the node is gone and the lock is
/// lost, which is why the handle carries a <see cref="LockHandle.FencingToken"/> to pass to guarded resources.
/// </remarks>
/// <example><code>
/// var mutex = new DistributedLock(client, "/locks/orders");
/// await using (var held = await mutex.AcquireAsync(TimeSpan.FromSeconds(5)))
/// {
///     await store.WriteAsync(order, fencingToken: held.FencingToken);
/// }
/// </code></example>
public sealed class DistributedLock
{
    private const string LockName = "lock-";
    private readonly CoordClient client;
    private HeldNode? held;

    /// <summary>A lock at <paramref name="path"/> (created with its parents on first use).</summary>
    /// <param name="client">The session that holds the lock.</param>
    /// <param name="path">The lock's node; lock nodes are created under it.</param>
    public DistributedLock(CoordClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(path);
        this.client = client;
        Path = path;
    }

    /// <summary>The lock's node.</summary>
    public string Path { get; }

    /// <summary>Whether this instance holds the lock (as far as it knows: a session expiry is seen late).</summary>
    public bool IsHeld => held is not null;

    /// <summary>Waits until the lock is held, or <paramref name="ct"/> is cancelled.</summary>
    /// <param name="ct">Gives up waiting; the waiter's node is deleted.</param>
    /// <returns>A handle; disposing it releases this acquisition.</returns>
    public async Task<LockHandle> AcquireAsync(CancellationToken ct = default) =>
        await TryAcquireCoreAsync(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false)
        ?? throw new InvalidOperationException("unreachable: an infinite wait returned without the lock");

    /// <summary>Waits up to <paramref name="timeout"/> for the lock.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    /// <exception cref="TimeoutException">The lock was not acquired in time (the waiter's node is deleted).</exception>
    public async Task<LockHandle> AcquireAsync(TimeSpan timeout, CancellationToken ct = default) =>
        await TryAcquireCoreAsync(timeout, ct).ConfigureAwait(false)
        ?? throw new TimeoutException($"lock {Path} not acquired within {timeout.TotalMilliseconds} ms");

    /// <summary>Waits up to <paramref name="timeout"/> for the lock; null if it was not acquired in time.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    public Task<LockHandle?> TryAcquireAsync(TimeSpan timeout, CancellationToken ct = default) => TryAcquireCoreAsync(timeout, ct);

    private async Task<LockHandle?> TryAcquireCoreAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (held is { } current)
        {
            current.Count++;
            return new LockHandle(this, current);
        }
        using var deadline = RecipeWatch.Deadline(timeout, ct);
        string? node = null;
        try
        {
            // A create cancelled by the timeout may still be applied; RecipeCreates deletes such an orphan, which would
            // otherwise block every waiter until this session ends.
            node = await RecipeCreates.CreateProtectedAsync(client, Path, LockName, CreateMode.EphemeralSequential, deadline.Token)
                .ConfigureAwait(false);
            long czxid = await WaitForTurnAsync(node, deadline.Token).ConfigureAwait(false);
            held = new HeldNode(node, czxid);
            return new LockHandle(this, held);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            if (node is not null) await RecipeNodes.DeleteQuietlyAsync(client, node).ConfigureAwait(false);
            return null;
        }
        catch
        {
            if (node is not null && RecipeWatch.CanCleanUp(client))
                await RecipeNodes.DeleteQuietlyAsync(client, node).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Loops until <paramref name="node"/> is the lowest; returns its czxid.</summary>
    private async Task<long> WaitForTurnAsync(string node, CancellationToken ct)
    {
        string name = RecipeNodes.Name(node);
        while (true)
        {
            var children = RecipeNodes.Sorted(await client.GetChildrenAsync(Path, ct: ct).ConfigureAwait(false), LockName);
            int index = children.IndexOf(name);
            if (index < 0) throw new NoNodeException(node); // our ephemeral is gone: the session was lost
            if (index == 0)
            {
                var stat = await client.ExistsAsync(node, ct: ct).ConfigureAwait(false) ?? throw new NoNodeException(node);
                return stat.Czxid;
            }
            // Watch only the predecessor, then look again.
            await RecipeWatch.WaitForChangeAsync(client, $"{Path}/{children[index - 1]}", ct).ConfigureAwait(false);
        }
    }

    internal async ValueTask ReleaseAsync(HeldNode node)
    {
        if (!ReferenceEquals(held, node) || --node.Count > 0) return;
        held = null;
        await RecipeNodes.DeleteQuietlyAsync(client, node.Path).ConfigureAwait(false);
    }

    internal sealed class HeldNode(string path, long czxid)
    {
        public string Path { get; } = path;
        public long Czxid { get; } = czxid;
        public int Count { get; set; } = 1;
    }
}

/// <summary>One acquisition of a <see cref="DistributedLock"/>; disposing it releases that acquisition (the lock
/// node is deleted when the last re-entrant acquisition is released). Disposing twice is a no-op.</summary>
public sealed class LockHandle : IAsyncDisposable
{
    private readonly DistributedLock owner;
    private readonly DistributedLock.HeldNode node;
    private int released;

    internal LockHandle(DistributedLock owner, DistributedLock.HeldNode node)
    {
        this.owner = owner;
        this.node = node;
    }

    /// <summary>The full path of the lock node.</summary>
    public string NodePath => node.Path;

    /// <summary>The czxid of the lock node: strictly increasing across successive holders, so a resource that
    /// remembers the highest token it has seen can reject a stale holder (fencing).</summary>
    public long FencingToken => node.Czxid;

    /// <summary>Releases this acquisition.</summary>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref released, 1) == 0 ? owner.ReleaseAsync(node) : ValueTask.CompletedTask;
}

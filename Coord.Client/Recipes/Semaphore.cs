using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>
/// A distributed counting semaphore: at most <see cref="MaxLeases"/> leases are held at once across all sessions
/// (Curator's InterProcessSemaphoreV2). A lease is a protected ephemeral sequential node under
/// <c>{path}/leases</c>, so the leases of a session that closes or expires return by themselves.
/// </summary>
/// <remarks>
/// <para><b>No herd.</b> Acquirers take turns through a fair exclusive lock at <c>{path}/locks</c> (the write side
/// of a <see cref="ReadWriteLock"/>): only the
/// holder of that lock creates a lease node, and while the semaphore is full only that holder watches the leases
/// folder. Every other acquirer watches its predecessor in the lock queue. So a returned lease wakes exactly one
/// session, and acquirers are served in arrival order.</para>
/// <para>Every participant must use the same <see cref="MaxLeases"/> (it is not stored in the tree). Several
/// leases are taken within one turn (all or none: if the wait runs out, the ones already taken are returned), so
/// acquirers of several leases cannot deadlock each other; a holder that acquires again while holding leases
/// can, as with any semaphore. One instance may be used by several tasks at once (it keeps no state besides its settings).</para>
/// </remarks>
/// <example><code>
/// var downloads = new DistributedSemaphore(client, "/semaphores/downloads", maxLeases: 3);
/// await using (var lease = await downloads.AcquireAsync(TimeSpan.FromSeconds(10)))
///     await DownloadAsync(url);
/// </code></example>
public sealed class DistributedSemaphore
{
    private const string LeaseName = "lease-";
    private readonly CoordClient client;

    /// <summary>A semaphore at <paramref name="path"/> (created with its parents on first use).</summary>
    /// <param name="client">The session that holds the leases.</param>
    /// <param name="path">The semaphore's node; <c>leases</c> and <c>locks</c> are created under it.</param>
    /// <param name="maxLeases">How many leases may be held at once; every participant must pass the same number.</param>
    public DistributedSemaphore(CoordClient client, string path, int maxLeases)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLeases, 1);
        this.client = client;
        Path = path;
        MaxLeases = maxLeases;
    }

    /// <summary>The semaphore's node.</summary>
    public string Path { get; }

    /// <summary>How many leases may be held at once.</summary>
    public int MaxLeases { get; }

    /// <summary>The folder of the lease nodes.</summary>
    public string LeasesPath => $"{Path}/leases";

    private string LocksPath => $"{Path}/locks";

    /// <summary>Waits until a lease is held, or <paramref name="ct"/> is cancelled.</summary>
    /// <param name="ct">Gives up waiting.</param>
    /// <returns>The lease; disposing it returns it.</returns>
    public async Task<SemaphoreLease> AcquireAsync(CancellationToken ct = default) =>
        (await TryAcquireCoreAsync(1, Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false)
         ?? throw new InvalidOperationException("unreachable: an infinite wait returned without a lease"))[0];

    /// <summary>Waits up to <paramref name="timeout"/> for one lease.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    /// <exception cref="TimeoutException">No lease within the timeout.</exception>
    public async Task<SemaphoreLease> AcquireAsync(TimeSpan timeout, CancellationToken ct = default) =>
        (await AcquireAsync(1, timeout, ct).ConfigureAwait(false))[0];

    /// <summary>Waits up to <paramref name="timeout"/> for <paramref name="count"/> leases, all or none.</summary>
    /// <param name="count">How many leases, 1 to <see cref="MaxLeases"/>.</param>
    /// <param name="timeout">How long to wait for all of them.</param>
    /// <param name="ct">Gives up waiting.</param>
    /// <exception cref="TimeoutException">Not all leases within the timeout (those already taken are returned).</exception>
    public async Task<IReadOnlyList<SemaphoreLease>> AcquireAsync(int count, TimeSpan timeout, CancellationToken ct = default) =>
        await TryAcquireCoreAsync(count, timeout, ct).ConfigureAwait(false)
        ?? throw new TimeoutException($"{count} lease(s) of {Path} not acquired within {timeout.TotalMilliseconds} ms");

    /// <summary>Waits up to <paramref name="timeout"/> for one lease; null if none was acquired in time.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    public async Task<SemaphoreLease?> TryAcquireAsync(TimeSpan timeout, CancellationToken ct = default) =>
        (await TryAcquireCoreAsync(1, timeout, ct).ConfigureAwait(false))?[0];

    /// <summary>Waits up to <paramref name="timeout"/> for <paramref name="count"/> leases; null (and nothing held)
    /// if they were not all acquired in time.</summary>
    /// <param name="count">How many leases, 1 to <see cref="MaxLeases"/>.</param>
    /// <param name="timeout">How long to wait for all of them.</param>
    /// <param name="ct">Gives up waiting.</param>
    public Task<IReadOnlyList<SemaphoreLease>?> TryAcquireAsync(int count, TimeSpan timeout, CancellationToken ct = default) =>
        TryAcquireCoreAsync(count, timeout, ct);

    /// <summary>The names of the lease nodes held now (by every session), in sequence order.</summary>
    /// <param name="ct">Cancels the read.</param>
    public async Task<IReadOnlyList<string>> GetParticipantNodesAsync(CancellationToken ct = default)
    {
        try
        {
            return RecipeNodes.Sorted(await client.GetChildrenAsync(LeasesPath, ct: ct).ConfigureAwait(false), LeaseName);
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    private async Task<IReadOnlyList<SemaphoreLease>?> TryAcquireCoreAsync(int count, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxLeases);
        using var deadline = RecipeWatch.Deadline(timeout, ct);
        try
        {
            return await AcquireInOneTurnAsync(count, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// Takes all <paramref name="count"/> leases within one turn. Taking them in separate turns could deadlock:
    /// three acquirers of two leases each, holding one apiece, would wait for each other forever. Within a turn the
    /// holder is the only one waiting, so the leases it waits for belong to holders that wait for nothing.
    /// </summary>
    private async Task<IReadOnlyList<SemaphoreLease>> AcquireInOneTurnAsync(int count, CancellationToken ct)
    {
        // The turn lock is the write side of a ReadWriteLock (a fair exclusive lock whose waiter nodes are cleaned up
        // when a timeout cancels their create). A fresh instance per call: a turn must not be shared re-entrantly.
        await using var turn = await new ReadWriteLock(client, LocksPath).AcquireWriteAsync(ct).ConfigureAwait(false);
        var leases = new List<SemaphoreLease>(count);
        string? node = null;
        try
        {
            while (leases.Count < count)
            {
                node = await RecipeCreates.CreateProtectedAsync(client, LeasesPath, LeaseName, CreateMode.EphemeralSequential, ct)
                    .ConfigureAwait(false);
                await WaitForRoomAsync(node, ct).ConfigureAwait(false);
                leases.Add(new SemaphoreLease(client, node));
                node = null;
            }
            return leases;
        }
        catch
        {
            // Returned while the turn is still held, so no other acquirer counts a lease that is about to go.
            if (RecipeWatch.CanCleanUp(client))
            {
                if (node is not null) await RecipeNodes.DeleteQuietlyAsync(client, node).ConfigureAwait(false);
                foreach (var lease in leases) await lease.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
    }

    /// <summary>Waits until the lease nodes, ours included, are no more than <see cref="MaxLeases"/>.</summary>
    private async Task WaitForRoomAsync(string node, CancellationToken ct)
    {
        string name = RecipeNodes.Name(node);
        bool watch = false;
        while (true)
        {
            // Look without a watch first, so that a lease granted at once leaves no watch behind on the folder
            // (it would fire on a later change for nobody).
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var leases = await client.GetChildrenAsync(LeasesPath, watch ? _ => changed.TrySetResult() : null, ct)
                .ConfigureAwait(false);
            if (!leases.Contains(name)) throw new NoNodeException(node); // our ephemeral is gone: the session was lost
            // Only the turn holder adds nodes, so every other node is a lease held: ours fits if the count does.
            if (leases.Count <= MaxLeases) return;
            if (watch) await changed.Task.WaitAsync(ct).ConfigureAwait(false);
            watch = !watch;
        }
    }
}

/// <summary>One lease of a <see cref="DistributedSemaphore"/>; disposing it deletes the lease node, which returns
/// the lease. Disposing twice is a no-op.</summary>
public sealed class SemaphoreLease : IAsyncDisposable
{
    private readonly CoordClient client;
    private int returned;

    internal SemaphoreLease(CoordClient client, string nodePath)
    {
        this.client = client;
        NodePath = nodePath;
    }

    /// <summary>The full path of the lease node.</summary>
    public string NodePath { get; }

    /// <summary>Returns the lease.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref returned, 1) == 0) await RecipeNodes.DeleteQuietlyAsync(client, NodePath).ConfigureAwait(false);
    }
}

using Coord.Client.Protocol;

namespace Coord.Client.Recipes;

/// <summary>
/// A distributed counting semaphore: at most <see cref="MaxLeases"/> leases are held at once across all sessions
/// (Curator's InterProcessSemaphoreV2). A lease is a protected ephemeral sequential node under
/// <c>{path}/leases</c>, so the leases of a session that closes or expires return by themselves.
/// </summary>
/// <remarks>
/// <para><b>No herd.</b> Acquirers take turns through a <see cref="DistributedLock"/> at <c>{path}/locks</c>: only the
/// holder of that lock creates a lease node, and while the semaphore is full only that holder watches the leases
/// folder. Every other acquirer watches its predecessor in the lock queue. So a returned lease wakes exactly one
/// session, and acquirers are served in arrival order.</para>
/// <para>Every participant must use the same <see cref="MaxLeases"/> (it is not stored in the tree). Several
/// leases are taken one at a time, each through the lock; if the wait runs out, the ones already taken are
/// returned. One instance may be used by several tasks at once (it keeps no state besides its settings).</para>
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
        var leases = new List<SemaphoreLease>(count);
        try
        {
            while (leases.Count < count) leases.Add(await AcquireOneAsync(deadline.Token).ConfigureAwait(false));
            return leases;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            foreach (var lease in leases) await lease.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch
        {
            if (RecipeWatch.CanCleanUp(client))
                foreach (var lease in leases) await lease.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<SemaphoreLease> AcquireOneAsync(CancellationToken ct)
    {
        // A fresh lock instance per call: the lock is re-entrant per instance, and a turn must not be shared.
        await using var turn = await new DistributedLock(client, LocksPath).AcquireAsync(ct).ConfigureAwait(false);
        string? node = null;
        try
        {
            node = await RecipeNodes.CreateProtectedAsync(client, LeasesPath, LeaseName, CreateMode.EphemeralSequential, null, ct)
                .ConfigureAwait(false);
            string name = RecipeNodes.Name(node);
            bool watch = false;
            while (true)
            {
                // Look without a watch first, so that a lease granted at once leaves no watch behind on the
                // folder (it would fire on every later change for nobody).
                var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var leases = await client.GetChildrenAsync(LeasesPath, watch ? _ => changed.TrySetResult() : null, ct)
                    .ConfigureAwait(false);
                if (!leases.Contains(name)) throw new NoNodeException(node); // our ephemeral is gone: the session was lost
                // Only the turn holder adds a node, so all others are leases held: ours is one if the count fits.
                if (leases.Count <= MaxLeases) return new SemaphoreLease(client, node);
                if (watch) await changed.Task.WaitAsync(ct).ConfigureAwait(false);
                watch = !watch;
            }
        }
        catch
        {
            // Deleted while the turn is still held, so no other acquirer counts a lease that is not there.
            if (node is not null && RecipeWatch.CanCleanUp(client)) await RecipeNodes.DeleteQuietlyAsync(client, node).ConfigureAwait(false);
            throw;
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

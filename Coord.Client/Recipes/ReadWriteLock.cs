using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>
/// A fair distributed read-write lock (as Curator's InterProcessReadWriteLock). Readers and writers queue as
/// protected ephemeral sequential nodes under one path, <c>_c_&lt;guid&gt;-__READ__</c> and
/// <c>_c_&lt;guid&gt;-__WRITE__</c>, in one order:
/// <list type="bullet">
/// <item>a writer holds the lock when its node is the lowest, and otherwise watches its predecessor;</item>
/// <item>a reader holds the lock when no writer's node is below its own, and otherwise watches the nearest writer
/// below it. Readers therefore share the lock, and a reader that arrives after a waiting writer waits behind it
/// (fair: writers do not starve).</item>
/// </list>
/// A release wakes only the nodes that watch it: the next writer, or the readers queued right behind a writer.
/// </summary>
/// <remarks>
/// <para>One instance is one holder and each side is re-entrant: acquiring a side again while holding it only
/// counts. Calls on one instance must not overlap.</para>
/// <para><b>Downgrade:</b> the holder of the write lock may take the read lock at once, then release the write lock
/// and keep reading. The read node it creates is not sequential: it carries the sequence number of the write node,
/// so it takes the write node's place in the queue. Writers that queued meanwhile keep waiting for it, while
/// readers queued before them get in as soon as the write lock is released. (Curator's downgrade queues the read
/// node at the end, which lets a writer that queued meanwhile in beside the downgraded reader.)</para>
/// <para><b>Upgrade</b> (taking the write lock while holding the read lock) would wait for itself forever, so it
/// throws <see cref="InvalidOperationException"/>.</para>
/// <para>The lock is tied to the client's session, hence the <see cref="ReadWriteLockHandle.FencingToken"/>.</para>
/// </remarks>
/// <example><code>
/// var catalog = new ReadWriteLock(client, "/locks/catalog");
/// await using (await catalog.AcquireReadAsync(TimeSpan.FromSeconds(5)))
///     Show(await LoadCatalogAsync());
/// await using (var write = await catalog.AcquireWriteAsync(TimeSpan.FromSeconds(5)))
///     await SaveCatalogAsync(changes, fencingToken: write.FencingToken);
/// </code></example>
public sealed class ReadWriteLock
{
    /// <summary>The name part of a reader's node.</summary>
    public const string ReadName = "__READ__";

    /// <summary>The name part of a writer's node.</summary>
    public const string WriteName = "__WRITE__";

    private readonly CoordClient client;
    private HeldNode? write;
    private HeldNode? read;

    /// <summary>A read-write lock at <paramref name="path"/> (created with its parents on first use).</summary>
    /// <param name="client">The session that holds the lock.</param>
    /// <param name="path">The lock's node; reader and writer nodes are created under it.</param>
    public ReadWriteLock(CoordClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(path);
        this.client = client;
        Path = path;
    }

    /// <summary>The lock's node.</summary>
    public string Path { get; }

    /// <summary>Whether this instance holds the read lock (as far as it knows: a session expiry is seen late).</summary>
    public bool IsReadHeld => read is not null;

    /// <summary>Whether this instance holds the write lock (as far as it knows: a session expiry is seen late).</summary>
    public bool IsWriteHeld => write is not null;

    /// <summary>Waits until the read lock is held, or <paramref name="ct"/> is cancelled.</summary>
    /// <param name="ct">Gives up waiting; the waiter's node is deleted.</param>
    /// <returns>A handle; disposing it releases this acquisition.</returns>
    public async Task<ReadWriteLockHandle> AcquireReadAsync(CancellationToken ct = default) =>
        await TryAcquireCoreAsync(isWrite: false, Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false)
        ?? throw new InvalidOperationException("unreachable: an infinite wait returned without the lock");

    /// <summary>Waits up to <paramref name="timeout"/> for the read lock.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    /// <exception cref="TimeoutException">Not acquired in time (the waiter's node is deleted).</exception>
    public async Task<ReadWriteLockHandle> AcquireReadAsync(TimeSpan timeout, CancellationToken ct = default) =>
        await TryAcquireCoreAsync(isWrite: false, timeout, ct).ConfigureAwait(false)
        ?? throw new TimeoutException($"read lock {Path} not acquired within {timeout.TotalMilliseconds} ms");

    /// <summary>Waits up to <paramref name="timeout"/> for the read lock; null if it was not acquired in time.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    public Task<ReadWriteLockHandle?> TryAcquireReadAsync(TimeSpan timeout, CancellationToken ct = default) =>
        TryAcquireCoreAsync(isWrite: false, timeout, ct);

    /// <summary>Waits until the write lock is held, or <paramref name="ct"/> is cancelled.</summary>
    /// <param name="ct">Gives up waiting; the waiter's node is deleted.</param>
    /// <returns>A handle; disposing it releases this acquisition.</returns>
    /// <exception cref="InvalidOperationException">This instance holds the read lock (an upgrade would deadlock).</exception>
    public async Task<ReadWriteLockHandle> AcquireWriteAsync(CancellationToken ct = default) =>
        await TryAcquireCoreAsync(isWrite: true, Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false)
        ?? throw new InvalidOperationException("unreachable: an infinite wait returned without the lock");

    /// <summary>Waits up to <paramref name="timeout"/> for the write lock.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    /// <exception cref="TimeoutException">Not acquired in time (the waiter's node is deleted).</exception>
    /// <exception cref="InvalidOperationException">This instance holds the read lock (an upgrade would deadlock).</exception>
    public async Task<ReadWriteLockHandle> AcquireWriteAsync(TimeSpan timeout, CancellationToken ct = default) =>
        await TryAcquireCoreAsync(isWrite: true, timeout, ct).ConfigureAwait(false)
        ?? throw new TimeoutException($"write lock {Path} not acquired within {timeout.TotalMilliseconds} ms");

    /// <summary>Waits up to <paramref name="timeout"/> for the write lock; null if it was not acquired in time.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    /// <exception cref="InvalidOperationException">This instance holds the read lock (an upgrade would deadlock).</exception>
    public Task<ReadWriteLockHandle?> TryAcquireWriteAsync(TimeSpan timeout, CancellationToken ct = default) =>
        TryAcquireCoreAsync(isWrite: true, timeout, ct);

    private async Task<ReadWriteLockHandle?> TryAcquireCoreAsync(bool isWrite, TimeSpan timeout, CancellationToken ct)
    {
        if ((isWrite ? write : read) is { } current)
        {
            current.Count++;
            return new ReadWriteLockHandle(this, current);
        }
        if (isWrite && read is not null)
            throw new InvalidOperationException($"{Path}: this holder has the read lock; taking the write lock too would wait for itself");
        using var deadline = RecipeWatch.Deadline(timeout, ct);
        string? node = null;
        try
        {
            HeldNode held;
            if (!isWrite && write is { } writeHeld)
            {
                var created = await CreateDowngradeNodeAsync(writeHeld, deadline.Token).ConfigureAwait(false);
                node = created.Path;
                held = new HeldNode(node, created.Stat!.Value.Czxid, isWrite: false);
            }
            else
            {
                node = await RecipeCreates.CreateProtectedAsync(client, Path, isWrite ? WriteName : ReadName,
                    CreateMode.EphemeralSequential, deadline.Token).ConfigureAwait(false);
                held = new HeldNode(node, await WaitForTurnAsync(node, isWrite, deadline.Token).ConfigureAwait(false), isWrite);
            }
            if (isWrite) write = held;
            else read = held;
            return new ReadWriteLockHandle(this, held);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            if (node is not null) await RecipeNodes.DeleteQuietlyAsync(client, node).ConfigureAwait(false);
            return null;
        }
        catch
        {
            if (node is not null && RecipeWatch.CanCleanUp(client)) await RecipeNodes.DeleteQuietlyAsync(client, node).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The read node of a downgrade: an ephemeral named with the write node's sequence number, so it sorts where the
    /// write node is. Its GUID makes the name unique.
    /// </summary>
    private Task<OpResult.Create> CreateDowngradeNodeAsync(HeldNode writeHeld, CancellationToken ct)
    {
        long sequence = RecipeNodes.Sequence(RecipeNodes.Name(writeHeld.Path));
        string path = $"{Path}/{RecipeNodes.ProtectedPrefix(Guid.NewGuid())}{ReadName}{sequence:D10}";
        return RecipeCreates.CreateUniqueEphemeralAsync(client, path, ct);
    }

    /// <summary>Loops until <paramref name="node"/> may hold its side of the lock; returns its czxid.</summary>
    private async Task<long> WaitForTurnAsync(string node, bool isWrite, CancellationToken ct)
    {
        string name = RecipeNodes.Name(node);
        while (true)
        {
            var queue = Queue(await client.GetChildrenAsync(Path, ct: ct).ConfigureAwait(false));
            int index = queue.IndexOf(name);
            if (index < 0) throw new NoNodeException(node); // our ephemeral is gone: the session was lost
            string? blocker = isWrite
                ? (index > 0 ? queue[index - 1] : null)
                : queue.Take(index).LastOrDefault(IsWriter);
            if (blocker is null)
            {
                var stat = await client.ExistsAsync(node, ct: ct).ConfigureAwait(false) ?? throw new NoNodeException(node);
                return stat.Czxid;
            }
            await RecipeWatch.WaitForChangeAsync(client, $"{Path}/{blocker}", ct).ConfigureAwait(false);
        }
    }

    /// <summary>Reader and writer nodes in queue order: by sequence number, then by name.</summary>
    internal static List<string> Queue(IEnumerable<string> children) =>
        children.Where(c => (IsWriter(c) || c.Contains(ReadName, StringComparison.Ordinal)) && RecipeNodes.Sequence(c) >= 0)
            .OrderBy(RecipeNodes.Sequence).ThenBy(c => c, StringComparer.Ordinal).ToList();

    private static bool IsWriter(string name) => name.Contains(WriteName, StringComparison.Ordinal);

    internal async ValueTask ReleaseAsync(HeldNode node)
    {
        if (!ReferenceEquals(node.IsWrite ? write : read, node) || --node.Count > 0) return;
        if (node.IsWrite) write = null;
        else read = null;
        await RecipeNodes.DeleteQuietlyAsync(client, node.Path).ConfigureAwait(false);
    }

    internal sealed class HeldNode(string path, long czxid, bool isWrite)
    {
        public string Path { get; } = path;
        public long Czxid { get; } = czxid;
        public bool IsWrite { get; } = isWrite;
        public int Count { get; set; } = 1;
    }
}

/// <summary>One acquisition of a side of a <see cref="ReadWriteLock"/>; disposing it releases that acquisition
/// (the node is deleted when the last re-entrant acquisition of that side is released). Disposing twice is a no-op.</summary>
public sealed class ReadWriteLockHandle : IAsyncDisposable
{
    private readonly ReadWriteLock owner;
    private readonly ReadWriteLock.HeldNode node;
    private int released;

    internal ReadWriteLockHandle(ReadWriteLock owner, ReadWriteLock.HeldNode node)
    {
        this.owner = owner;
        this.node = node;
    }

    /// <summary>The full path of the reader or writer node.</summary>
    public string NodePath => node.Path;

    /// <summary>Whether this is the write side.</summary>
    public bool IsWrite => node.IsWrite;

    /// <summary>The czxid of the node. Successive writers have strictly increasing tokens, and a reader's token is
    /// higher than that of every writer that held the lock before it, so a resource that remembers the highest
    /// writer token it has seen can reject a stale writer (fencing).</summary>
    public long FencingToken => node.Czxid;

    /// <summary>Releases this acquisition.</summary>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref released, 1) == 0 ? owner.ReleaseAsync(node) : ValueTask.CompletedTask;
}

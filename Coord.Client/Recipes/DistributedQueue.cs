namespace Coord.Client.Recipes;

/// <summary>
/// A FIFO queue shared by any number of producers and consumers (ZooKeeper's queue recipe, as Curator's
/// DistributedQueue): each item is a persistent sequential <c>qn-</c> child of the queue node; a consumer takes the
/// lowest by deleting it. Every item is delivered to exactly one consumer: concurrent consumers race for the lowest
/// item and the one whose delete succeeds gets it; a loser moves on to the next. Items from one producer session
/// come out in the order they were enqueued.
/// </summary>
/// <remarks>
/// Lost replies do not lose or duplicate items: an enqueue is a protected create (<c>_c_&lt;guid&gt;-qn-</c>,
/// found again after a connection loss instead of created twice), and a take commits its delete together with a
/// bump of this instance's receipt node (an ephemeral <c>_r_&lt;guid&gt;</c> child of the queue node), so after a
/// connection loss the receipt says whether the item was taken. Takes on one instance are serialized; use one
/// instance per concurrent consumer. A cancelled take may still have deleted the item (it was sent): do not
/// cancel a take whose item must not be lost. An item is deleted before <see cref="DequeueAsync"/> returns it, so
/// a consumer that crashes while processing loses it (at-most-once processing).
/// </remarks>
/// <example><code>
/// var queue = new DistributedQueue(client, "/queues/jobs");
/// await queue.EnqueueAsync("resize 42"u8.ToArray());
/// byte[] job = await queue.DequeueAsync(stopping);   // waits for an item
/// </code></example>
public sealed class DistributedQueue
{
    private const string ItemName = QueueCore.ItemMarker;
    private readonly QueueCore core;

    /// <summary>A queue at <paramref name="path"/> (created with its parents on first use).</summary>
    /// <param name="client">The session that produces or consumes.</param>
    /// <param name="path">The queue node; items are its children.</param>
    public DistributedQueue(CoordClient client, string path) =>
        core = new QueueCore(client, path, children => RecipeNodes.Sorted(children, ItemName));

    /// <summary>The queue node.</summary>
    public string Path => core.Path;

    internal QueueCore Core => core;

    /// <summary>Appends an item.</summary>
    /// <param name="item">The item's bytes (null = empty); at most the server's node size limit (1 MB by default).</param>
    /// <param name="ct">Cancels the wait (the item may still be enqueued).</param>
    /// <returns>The item node's path.</returns>
    public Task<string> EnqueueAsync(byte[]? item, CancellationToken ct = default) => core.EnqueueAsync(ItemName, item, ct);

    /// <summary>Appends all items atomically (one multi: all are enqueued or none), consecutively and in order.</summary>
    /// <param name="items">The items; their total size must fit in one request (1 MB by default).</param>
    /// <param name="ct">Cancels the wait (the batch may still be enqueued).</param>
    /// <returns>The item nodes' paths, in order.</returns>
    public Task<IReadOnlyList<string>> EnqueueAllAsync(IEnumerable<byte[]?> items, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        return core.EnqueueAllAsync(items.Select(item => (ItemName, item)).ToList(), ct);
    }

    /// <summary>Removes and returns the oldest item, waiting (on a child watch) until there is one.</summary>
    /// <param name="ct">Stops waiting.</param>
    public Task<byte[]> DequeueAsync(CancellationToken ct = default) => core.TakeAsync(ct);

    /// <summary>Removes and returns the oldest item, or null when the queue is empty.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public Task<byte[]?> TryDequeueAsync(CancellationToken ct = default) => core.TryTakeAsync(ct);

    /// <summary>The oldest item without removing it, or null when the queue is empty.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public Task<byte[]?> PeekAsync(CancellationToken ct = default) => core.PeekAsync(ct);

    /// <summary>The number of items at the time of the call.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public Task<int> CountAsync(CancellationToken ct = default) => core.CountAsync(ct);

    /// <summary>Deletes this consumer's receipt node. Optional: it is an ephemeral and goes with the session.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public Task CloseAsync(CancellationToken ct = default) => core.CloseAsync(ct);
}

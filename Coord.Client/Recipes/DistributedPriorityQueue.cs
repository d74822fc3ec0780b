using System.Globalization;

namespace Coord.Client.Recipes;

/// <summary>
/// A priority queue (ZooKeeper's priority-queue recipe, Curator's DistributedPriorityQueue): the priority is
/// encoded in the item's name, <c>qn-&lt;priority&gt;-&lt;sequence&gt;</c>, so the order needs no data reads. A lower
/// priority value comes out first; within one priority items come out in enqueue order. Delivery is exactly once,
/// as for <see cref="DistributedQueue"/> (same mechanics: protected creates, receipt-backed takes).
/// </summary>
/// <remarks>
/// The priority is written as 8 hex digits of the value with its sign bit flipped, so any <see cref="int"/> sorts
/// correctly (negative values first). Priorities are fixed at enqueue time: an item cannot be re-prioritized. A
/// queue node should hold either plain or priority items, not both (plain items sort as priority 0).
/// </remarks>
/// <example><code>
/// var queue = new DistributedPriorityQueue(client, "/queues/alerts");
/// await queue.EnqueueAsync(page, priority: 0);
/// await queue.EnqueueAsync(digest, priority: 10);
/// byte[] next = await queue.DequeueAsync(stopping);   // the page first
/// </code></example>
public sealed class DistributedPriorityQueue
{
    private const string Marker = QueueCore.ItemMarker;
    private readonly QueueCore core;

    /// <summary>A priority queue at <paramref name="path"/> (created with its parents on first use).</summary>
    /// <param name="client">The session that produces or consumes.</param>
    /// <param name="path">The queue node; items are its children.</param>
    public DistributedPriorityQueue(CoordClient client, string path) => core = new QueueCore(client, path, Order);

    /// <summary>The queue node.</summary>
    public string Path => core.Path;

    /// <summary>Adds an item with a priority (lower comes out first).</summary>
    /// <param name="item">The item's bytes (null = empty).</param>
    /// <param name="priority">The priority; lower values are dequeued first.</param>
    /// <param name="ct">Cancels the wait (the item may still be enqueued).</param>
    /// <returns>The item node's path.</returns>
    public Task<string> EnqueueAsync(byte[]? item, int priority, CancellationToken ct = default) =>
        core.EnqueueAsync(Name(priority), item, ct);

    /// <summary>Adds all items atomically (one multi: all or none).</summary>
    /// <param name="items">The items with their priorities.</param>
    /// <param name="ct">Cancels the wait (the batch may still be enqueued).</param>
    /// <returns>The item nodes' paths, in the order given.</returns>
    public Task<IReadOnlyList<string>> EnqueueAllAsync(IEnumerable<(byte[]? Item, int Priority)> items, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        return core.EnqueueAllAsync(items.Select(i => (Name(i.Priority), i.Item)).ToList(), ct);
    }

    /// <summary>Removes and returns the item with the lowest priority value (the oldest among equals), waiting
    /// until there is one.</summary>
    /// <param name="ct">Stops waiting.</param>
    public Task<byte[]> DequeueAsync(CancellationToken ct = default) => core.TakeAsync(ct);

    /// <summary>Removes and returns the first item, or null when the queue is empty.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public Task<byte[]?> TryDequeueAsync(CancellationToken ct = default) => core.TryTakeAsync(ct);

    /// <summary>The first item without removing it, or null when the queue is empty.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public Task<byte[]?> PeekAsync(CancellationToken ct = default) => core.PeekAsync(ct);

    /// <summary>The number of items at the time of the call.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public Task<int> CountAsync(CancellationToken ct = default) => core.CountAsync(ct);

    /// <summary>Deletes this consumer's receipt node. Optional: it is an ephemeral and goes with the session.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public Task CloseAsync(CancellationToken ct = default) => core.CloseAsync(ct);

    /// <summary>The item name before the sequence suffix: <c>qn-XXXXXXXX-</c>.</summary>
    internal static string Name(int priority) => $"{Marker}{(uint)priority ^ 0x8000_0000u:X8}-";

    /// <summary>The priority in an item name, or 0 for a name without one.</summary>
    internal static int Priority(string name)
    {
        int at = name.LastIndexOf(Marker, StringComparison.Ordinal);
        return at >= 0 && name.Length >= at + Marker.Length + 9 && name[at + Marker.Length + 8] == '-'
            && uint.TryParse(name.AsSpan(at + Marker.Length, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint key)
            ? (int)(key ^ 0x8000_0000u)
            : 0;
    }

    private static List<string> Order(IEnumerable<string> children) =>
        children.Where(c => c.Contains(Marker, StringComparison.Ordinal) && RecipeNodes.Sequence(c) >= 0)
            .OrderBy(Priority).ThenBy(RecipeNodes.Sequence).ThenBy(c => c, StringComparer.Ordinal).ToList();
}

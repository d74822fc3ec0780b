using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>
/// The mechanics shared by <see cref="DistributedQueue"/> and <see cref="DistributedPriorityQueue"/>: items are
/// persistent sequential children of the queue node, created protected (<c>_c_&lt;guid&gt;-qn-...</c>) so an
/// enqueue whose reply is lost is found again rather than duplicated; a take reads the first item in queue order
/// and deletes it in a multi with this instance's <see cref="WriteReceipt"/> bump, so the consumer whose delete
/// succeeded, and only that one, returns the item, even when the reply to its delete is lost.
/// </summary>
/// <remarks>Waiting consumers watch the child list, so an enqueue wakes all of them (as in Curator's queue); the
/// first to delete an item gets it, the others move to the next item or wait again.</remarks>
internal sealed class QueueCore
{
    /// <summary>Every item's name contains this marker (the name Curator and ZooKeeper's recipe use).</summary>
    public const string ItemMarker = "qn-";

    private const int AttemptsMax = 10;
    private readonly CoordClient client;
    private readonly Func<IEnumerable<string>, List<string>> order;
    private readonly WriteReceipt receipt;

    /// <param name="client">The session.</param>
    /// <param name="path">The queue node.</param>
    /// <param name="order">Puts child names in queue order, leaving out names that are not items.</param>
    public QueueCore(CoordClient client, string path, Func<IEnumerable<string>, List<string>> order)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(path);
        this.client = client;
        this.order = order;
        Path = path;
        receipt = new WriteReceipt(client, path);
    }

    public string Path { get; }

    /// <summary>This consumer's receipt (for specs).</summary>
    internal WriteReceipt Receipt => receipt;

    /// <summary>Creates one item named <c>{protected prefix}{name}{sequence}</c>; returns its path.</summary>
    public Task<string> EnqueueAsync(string name, byte[]? data, CancellationToken ct) =>
        RecipeNodes.CreateProtectedAsync(client, Path, name, CreateMode.PersistentSequential, data, ct);

    /// <summary>Creates all items in one multi (all or none), in the given order; returns their paths.</summary>
    public async Task<IReadOnlyList<string>> EnqueueAllAsync(IReadOnlyList<(string Name, byte[]? Data)> items, CancellationToken ct)
    {
        if (items.Count == 0) return [];
        string prefix = RecipeNodes.ProtectedPrefix(Guid.NewGuid());
        for (int attempt = 0; ; attempt++)
        {
            var txn = client.Transaction();
            foreach (var (name, data) in items) txn.Create($"{Path}/{prefix}{name}", data, mode: CreateMode.PersistentSequential);
            try
            {
                var results = await txn.CommitAsync(ct).ConfigureAwait(false);
                return results.Select(r => ((OpResult.Create)r).Path).ToList();
            }
            catch (TransactionFailedException e) when (e.Code == ErrorCode.NoNode && attempt < AttemptsMax)
            {
                await RecipeNodes.EnsurePathAsync(client, Path, ct).ConfigureAwait(false);
            }
            catch (ConnectionLossException) when (attempt < AttemptsMax)
            {
                // A multi is atomic: if any node with this batch's GUID exists, the whole batch was applied.
                var mine = (await client.GetChildrenAsync(Path, ct: ct).ConfigureAwait(false))
                    .Where(c => c.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                if (mine.Count > 0) return RecipeNodes.Sorted(mine, prefix).Select(c => $"{Path}/{c}").ToList();
            }
        }
    }

    /// <summary>Takes the first item, or returns null when there is none.</summary>
    public async Task<byte[]?> TryTakeAsync(CancellationToken ct)
    {
        var children = await ChildrenAsync(null, ct).ConfigureAwait(false);
        return await TakeFirstAsync(order(children), ct).ConfigureAwait(false);
    }

    /// <summary>Takes the first item, waiting for one as long as <paramref name="ct"/> allows.</summary>
    public async Task<byte[]> TakeAsync(CancellationToken ct)
    {
        var children = await ChildrenAsync(null, ct).ConfigureAwait(false);
        while (true)
        {
            if (await TakeFirstAsync(order(children), ct).ConfigureAwait(false) is { } item) return item;
            // Empty (or every item was taken by others meanwhile): arm the watch with a fresh listing, so an item
            // enqueued after that listing fires it.
            var changed = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            children = await ChildrenAsync(e => changed.TrySetResult(e), ct).ConfigureAwait(false);
            if (order(children).Count > 0) continue;
            var fired = await changed.Task.WaitAsync(ct).ConfigureAwait(false);
            if (fired.State == KeeperState.Expired) throw new SessionExpiredException();
            if (fired.State == KeeperState.Closed) throw new ObjectDisposedException(nameof(CoordClient));
            children = await ChildrenAsync(null, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The first item's data, or null when the queue is empty.</summary>
    public async Task<byte[]?> PeekAsync(CancellationToken ct)
    {
        foreach (var name in order(await ChildrenAsync(null, ct).ConfigureAwait(false)))
        {
            try
            {
                return (await client.GetDataAsync($"{Path}/{name}", ct: ct).ConfigureAwait(false)).Data;
            }
            catch (NoNodeException)
            {
                // Taken since the listing: the next one is now first.
            }
        }
        return null;
    }

    /// <summary>The number of items (a snapshot).</summary>
    public async Task<int> CountAsync(CancellationToken ct) => order(await ChildrenAsync(null, ct).ConfigureAwait(false)).Count;

    /// <summary>Deletes this instance's receipt node (only needed when the session outlives the consumer).</summary>
    public Task CloseAsync(CancellationToken ct) => receipt.DeleteAsync(ct);

    private async Task<IReadOnlyList<string>> ChildrenAsync(Action<WatchedEvent>? watcher, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await client.GetChildrenAsync(Path, watcher, ct).ConfigureAwait(false);
            }
            catch (NoNodeException) when (attempt < AttemptsMax)
            {
                await RecipeNodes.EnsurePathAsync(client, Path, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<byte[]?> TakeFirstAsync(List<string> names, CancellationToken ct)
    {
        for (int i = 0, losses = 0; i < names.Count; )
        {
            string item = $"{Path}/{names[i]}";
            byte[] data;
            try
            {
                data = (await client.GetDataAsync(item, ct: ct).ConfigureAwait(false)).Data;
                await receipt.CommitAsync(txn => txn.Delete(item), ct).ConfigureAwait(false);
                return data;
            }
            catch (NoNodeException)
            {
                i++; // another consumer took it between the listing and the read
            }
            catch (TransactionFailedException e) when (e.FailedIndex == 0 && e.Code == ErrorCode.NoNode)
            {
                i++; // another consumer deleted it first
            }
            catch (ConnectionLossException) when (++losses < AttemptsMax)
            {
                // The receipt shows our delete was not applied: try the same item again.
            }
        }
        return null;
    }
}

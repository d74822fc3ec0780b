namespace Coord.Client.Recipes;

/// <summary>
/// A distributed barrier (Curator's DistributedBarrier): while the barrier node exists, every
/// <see cref="WaitOnBarrierAsync(CancellationToken)"/> waits; removing the node releases them all. Typically one
/// process sets the barrier, any number wait on it, and the first process removes it when the others may go.
/// </summary>
/// <remarks>
/// Waiters watch the barrier node itself, so removing it wakes all of them at once: that is the point of a
/// barrier, not a herd. The barrier node is persistent: a barrier outlives the session that set it.
/// </remarks>
/// <example><code>
/// var gate = new DistributedBarrier(client, "/barriers/deploy");
/// await gate.SetBarrierAsync();                                 // coordinator, before the workers start
/// await gate.WaitOnBarrierAsync(TimeSpan.FromMinutes(1));       // each worker: true once removed
/// await gate.RemoveBarrierAsync();                              // coordinator: let them all go
/// </code></example>
public sealed class DistributedBarrier
{
    private readonly CoordClient client;

    /// <summary>A barrier at <paramref name="path"/>.</summary>
    /// <param name="client">The session that sets, removes or waits on the barrier.</param>
    /// <param name="path">The barrier node: the barrier stands while it exists.</param>
    public DistributedBarrier(CoordClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(path);
        this.client = client;
        Path = path;
    }

    /// <summary>The barrier node.</summary>
    public string Path { get; }

    /// <summary>Sets the barrier: creates its node (and missing parents). Setting a barrier that stands is a no-op.</summary>
    /// <param name="ct">Cancels the call.</param>
    public async Task SetBarrierAsync(CancellationToken ct = default)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                // Creates missing nodes and treats NodeExists as done, so a repeat after a lost reply is harmless.
                await RecipeNodes.EnsurePathAsync(client, Path, ct).ConfigureAwait(false);
                return;
            }
            catch (ConnectionLossException) when (attempt < 10)
            {
            }
        }
    }

    /// <summary>Removes the barrier, releasing every waiter. Removing a barrier that is not set is a no-op.</summary>
    /// <param name="ct">Cancels the call.</param>
    public Task RemoveBarrierAsync(CancellationToken ct = default) => RecipeNodes.DeleteQuietlyAsync(client, Path, ct);

    /// <summary>Waits until the barrier is removed (returns at once if it is not set).</summary>
    /// <param name="ct">Gives up waiting.</param>
    public async Task WaitOnBarrierAsync(CancellationToken ct = default)
    {
        while (await client.ExistsAsync(Path, ct: ct).ConfigureAwait(false) is not null)
            await RecipeWatch.WaitForChangeAsync(client, Path, ct).ConfigureAwait(false);
    }

    /// <summary>Waits up to <paramref name="timeout"/> until the barrier is removed.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting (throws).</param>
    /// <returns>True if the barrier is not set (any more); false if it still stood when the time ran out.</returns>
    public async Task<bool> WaitOnBarrierAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        using var deadline = RecipeWatch.Deadline(timeout, ct);
        try
        {
            await WaitOnBarrierAsync(deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            return false;
        }
    }
}

namespace Coord.Client.Recipes;

/// <summary>
/// Waiting on one node for the synchronisation recipes (locks, semaphore, barriers). The watch is set
/// with getData rather than exists: on a node that is already gone getData fails with NoNode and leaves no watch
/// behind, where exists would leave a creation watch that nobody wants.
/// </summary>
internal static class RecipeWatch
{
    /// <summary>
    /// Completes when <paramref name="path"/> changes or is deleted (or at once if it does not exist). The caller
    /// re-reads the state afterwards: a wake-up says "look again", never "you may go".
    /// </summary>
    public static async Task WaitForChangeAsync(CoordClient client, string path, CancellationToken ct)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await client.GetDataAsync(path, _ => changed.TrySetResult(), ct).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return;
        }
        await changed.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>A linked token that also cancels after <paramref name="timeout"/> (unless it is infinite).</summary>
    public static CancellationTokenSource Deadline(TimeSpan timeout, CancellationToken ct)
    {
        if (timeout != Timeout.InfiniteTimeSpan) ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout != Timeout.InfiniteTimeSpan) deadline.CancelAfter(timeout);
        return deadline;
    }

    /// <summary>Whether a failed recipe call may still clean up its node (the session is not known to be gone).</summary>
    public static bool CanCleanUp(CoordClient client) => client.State is ConnectionState.Connected or ConnectionState.Disconnected;
}

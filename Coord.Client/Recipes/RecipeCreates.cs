using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>
/// Creates for the synchronisation recipes that may be cancelled (by a timeout) without leaking a node. A
/// cancelled call stays queued in the client and may still be applied by the server; the caller never learns the
/// node's name, and an ephemeral left behind would block the others until the session ends. So on cancellation a
/// background clean-up deletes whatever the create made: calls complete in issue order, so a call issued after the
/// cancelled create sees its outcome.
/// </summary>
internal static class RecipeCreates
{
    /// <summary>
    /// <see cref="RecipeNodes.CreateProtectedAsync"/> (protected sequential create, adopted after a connection loss),
    /// plus the clean-up of the node if <paramref name="ct"/> cancels the wait.
    /// </summary>
    public static async Task<string> CreateProtectedAsync(CoordClient client, string parent, string name, CreateMode mode,
        CancellationToken ct)
    {
        string prefix = RecipeNodes.ProtectedPrefix(Guid.NewGuid());
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    return await client.CreateAsync($"{parent}/{prefix}{name}", null, mode: mode, ct: ct).ConfigureAwait(false);
                }
                catch (NoNodeException) when (attempt < 10)
                {
                    await RecipeNodes.EnsurePathAsync(client, parent, ct).ConfigureAwait(false);
                }
                catch (ConnectionLossException) when (attempt < 10)
                {
                    var children = await client.GetChildrenAsync(parent, ct: ct).ConfigureAwait(false);
                    string? mine = children.FirstOrDefault(c => c.StartsWith(prefix, StringComparison.Ordinal));
                    if (mine is not null) return $"{parent}/{mine}";
                }
            }
        }
        catch (OperationCanceledException)
        {
            _ = DeleteByPrefixAsync(client, parent, prefix);
            throw;
        }
    }

    /// <summary>An ephemeral non-sequential create of a unique <paramref name="path"/>; NodeExists after a
    /// connection loss means our create was applied. Cleaned up if <paramref name="ct"/> cancels the wait.</summary>
    public static async Task<OpResult.Create> CreateUniqueEphemeralAsync(CoordClient client, string path, CancellationToken ct)
    {
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    return await client.CreateWithStatAsync(path, null, mode: CreateMode.Ephemeral, ct: ct).ConfigureAwait(false);
                }
                catch (NoNodeException) when (attempt < 10)
                {
                    await RecipeNodes.EnsurePathAsync(client, path[..path.LastIndexOf('/')], ct).ConfigureAwait(false);
                }
                catch (ConnectionLossException) when (attempt < 10)
                {
                    if (await client.ExistsAsync(path, ct: ct).ConfigureAwait(false) is { } stat) return new OpResult.Create(path, stat);
                }
            }
        }
        catch (OperationCanceledException)
        {
            _ = DeleteQuietlyInBackgroundAsync(client, path);
            throw;
        }
    }

    private static async Task DeleteByPrefixAsync(CoordClient client, string parent, string prefix)
    {
        try
        {
            foreach (var child in await client.GetChildrenAsync(parent).ConfigureAwait(false))
                if (child.StartsWith(prefix, StringComparison.Ordinal))
                    await RecipeNodes.DeleteQuietlyAsync(client, $"{parent}/{child}").ConfigureAwait(false);
        }
        catch (Exception e) when (e is CoordException or ObjectDisposedException)
        {
            // The session is gone (its ephemerals with it) or the parent is: nothing is left to clean.
        }
    }

    private static async Task DeleteQuietlyInBackgroundAsync(CoordClient client, string path)
    {
        try
        {
            await RecipeNodes.DeleteQuietlyAsync(client, path).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CoordException or ObjectDisposedException)
        {
            // As above: nothing is left to clean.
        }
    }
}

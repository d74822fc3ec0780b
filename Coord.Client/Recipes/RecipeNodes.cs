using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>
/// Helpers shared by the recipes: creating a parent path, protected sequential creates that survive a lost reply,
/// and ordering sequential children by their 10-digit suffix.
/// </summary>
internal static class RecipeNodes
{
    /// <summary>Creates <paramref name="path"/> and its missing ancestors as persistent nodes.</summary>
    public static async Task EnsurePathAsync(CoordClient client, string path, CancellationToken ct)
    {
        if (path == "/" || await client.ExistsAsync(path, ct: ct).ConfigureAwait(false) is not null) return;
        int slash = path.LastIndexOf('/');
        if (slash > 0) await EnsurePathAsync(client, path[..slash], ct).ConfigureAwait(false);
        try
        {
            await client.CreateAsync(path, null, ct: ct).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
            // Another participant created it first: that is all we wanted.
        }
    }

    /// <summary>The protected name prefix of one create: <c>_c_&lt;guid&gt;-</c> (as in Curator).</summary>
    public static string ProtectedPrefix(Guid id) => $"_c_{id:N}-";

    /// <summary>
    /// Creates <c>{parent}/{_c_guid-}{name}</c> with a sequential <paramref name="mode"/>. A create is never retried
    /// by the client, because it may have been applied although its reply was lost; so after a connection loss this
    /// lists the parent and adopts the node that carries the GUID, and creates again only if there is none.
    /// </summary>
    /// <returns>The created node's full path.</returns>
    public static async Task<string> CreateProtectedAsync(CoordClient client, string parent, string name, CreateMode mode,
        byte[]? data, CancellationToken ct)
    {
        string prefix = ProtectedPrefix(Guid.NewGuid());
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await client.CreateAsync($"{parent}/{prefix}{name}", data, mode: mode, ct: ct).ConfigureAwait(false);
            }
            catch (NoNodeException) when (attempt < 10)
            {
                // Parents are created on demand, so the common case costs one round trip.
                await EnsurePathAsync(client, parent, ct).ConfigureAwait(false);
            }
            catch (ConnectionLossException) when (attempt < 10)
            {
                // Reads are retried by the client across the reconnection.
                var children = await client.GetChildrenAsync(parent, ct: ct).ConfigureAwait(false);
                string? mine = children.FirstOrDefault(c => c.StartsWith(prefix, StringComparison.Ordinal));
                if (mine is not null) return $"{parent}/{mine}";
            }
        }
    }

    /// <summary>The sequence number of a sequential node's name (its last 10 digits), or -1 for any other name.</summary>
    public static long Sequence(string name) =>
        name.Length >= 10 && long.TryParse(name.AsSpan(name.Length - 10), out long seq) ? seq : -1;

    /// <summary>The children whose name contains <paramref name="marker"/>, in sequence order.</summary>
    public static List<string> Sorted(IEnumerable<string> children, string marker) =>
        children.Where(c => c.Contains(marker, StringComparison.Ordinal) && Sequence(c) >= 0)
            .OrderBy(Sequence).ThenBy(c => c, StringComparer.Ordinal).ToList();

    /// <summary>The name part of a full path.</summary>
    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>Deletes a node; a connection loss is retried and NoNode counts as done.</summary>
    public static async Task DeleteQuietlyAsync(CoordClient client, string path, CancellationToken ct = default)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await client.DeleteAsync(path, ct: ct).ConfigureAwait(false);
                return;
            }
            catch (NoNodeException)
            {
                return;
            }
            catch (ConnectionLossException) when (attempt < 10)
            {
                // The delete may or may not have been applied; repeating it is safe since NoNode means done.
            }
        }
    }
}

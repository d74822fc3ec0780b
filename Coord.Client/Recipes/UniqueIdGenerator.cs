using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>
/// Unique ids from sequential nodes: each id is the sequence number the server gives a sequential child of the
/// generator node, which never repeats under that node (whatever the session), so ids are unique across sessions and
/// processes as long as the generator node is not deleted. The node is deleted again at once; the ids are increasing
/// in the order the server applied the creates.
/// </summary>
/// <remarks>
/// The create is protected (<c>_c_&lt;guid&gt;-id-</c>) and ephemeral: a create whose reply is lost is found again
/// and used, and any node left by a failure goes with the session. Sequence numbers are 31-bit (the parent's child
/// version): a generator node yields 2^31 ids; after that this throws rather than wrap. Deleting the generator node
/// restarts the sequence at 0, so do not delete it while its ids are in use.
/// </remarks>
/// <example><code>
/// var ids = new UniqueIdGenerator(client, "/ids/orders");
/// long orderId = await ids.NextAsync();
/// </code></example>
public sealed class UniqueIdGenerator
{
    private const string IdName = "id-";
    private readonly CoordClient client;

    /// <summary>A generator at <paramref name="path"/> (created with its parents on first use).</summary>
    /// <param name="client">The session.</param>
    /// <param name="path">The generator node; ids are sequence numbers of its children.</param>
    public UniqueIdGenerator(CoordClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(path);
        this.client = client;
        Path = path;
    }

    /// <summary>The generator node.</summary>
    public string Path { get; }

    /// <summary>The next id: a sequence number in [0, 2^31), unique under the generator node.</summary>
    /// <param name="ct">Cancels the wait (a sequence number may be consumed without being returned: ids have gaps).</param>
    public async Task<long> NextAsync(CancellationToken ct = default)
    {
        string node = await RecipeNodes.CreateProtectedAsync(client, Path, IdName, CreateMode.EphemeralSequential, null, ct)
            .ConfigureAwait(false);
        try
        {
            return Parse(node);
        }
        finally
        {
            await RecipeNodes.DeleteQuietlyAsync(client, node, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The sequence number of a created node, checking the 10-digit suffix did not wrap.</summary>
    private static long Parse(string node)
    {
        string name = RecipeNodes.Name(node);
        long sequence = RecipeNodes.Sequence(name);
        if (sequence is < 0 or > int.MaxValue || (name[^11] == '-' && name[^12] == '-'))
            throw new InvalidOperationException($"the sequence of {node} wrapped (2^31 ids used under this node)");
        return sequence;
    }
}

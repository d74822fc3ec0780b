using System.Runtime.CompilerServices;
using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>One member of a group.</summary>
/// <param name="Id">The member id (the node name).</param>
/// <param name="Payload">The bytes the member published.</param>
/// <param name="SessionId">The session that owns the member node (0 if it is not an ephemeral).</param>
public sealed record Member(string Id, byte[] Payload, long SessionId);

/// <summary>
/// Group membership (ZooKeeper's group-membership recipe, Curator's GroupMember): each member is an ephemeral
/// child <c>{group}/{id}</c> holding a payload, so a member is listed exactly while its session lives: leaving,
/// closing the client and session expiry all remove it. Anyone can list the members or watch the list change.
/// </summary>
/// <remarks>
/// <see cref="WatchAsync"/> arms one child watch on the group and one data watch per member, re-arming each only
/// after it fired, and re-lists after every change; like any ZooKeeper watch it may merge changes that come fast,
/// but the last state is always reported. A member id must be a valid node name (no '/').
/// </remarks>
/// <example><code>
/// var group = new GroupMembership(client, "/groups/workers");
/// await using var me = await group.JoinAsync("worker-7", "10.0.0.7:8080"u8.ToArray());
/// await foreach (var members in group.WatchAsync(stopping))
///     Console.WriteLine(string.Join(", ", members.Select(m => m.Id)));
/// </code></example>
public sealed class GroupMembership
{
    private readonly CoordClient client;

    /// <summary>A group at <paramref name="path"/> (created with its parents on first use).</summary>
    /// <param name="client">The session that joins or watches.</param>
    /// <param name="path">The group node; members are its children.</param>
    public GroupMembership(CoordClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(path);
        this.client = client;
        Path = path;
    }

    /// <summary>The group node.</summary>
    public string Path { get; }

    /// <summary>Joins the group as <paramref name="memberId"/> with <paramref name="payload"/>.</summary>
    /// <param name="memberId">The member's id, unique in the group.</param>
    /// <param name="payload">The bytes to publish (null = empty).</param>
    /// <param name="ct">Cancels the wait (the member may still have joined; it leaves with the session).</param>
    /// <returns>The membership; disposing it leaves the group.</returns>
    /// <exception cref="NodeExistsException">Another session is a member with this id.</exception>
    public async Task<GroupMember> JoinAsync(string memberId, byte[]? payload, CancellationToken ct = default)
    {
        string node = await EphemeralNodes.CreateOwnAsync(client, Path, memberId, payload, ct).ConfigureAwait(false);
        return new GroupMember(client, memberId, node);
    }

    /// <summary>The current members, sorted by id.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public async Task<IReadOnlyList<Member>> GetMembersAsync(CancellationToken ct = default)
    {
        IReadOnlyList<string> names;
        try
        {
            names = await client.GetChildrenAsync(Path, ct: ct).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return [];
        }
        var members = new List<Member>(names.Count);
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            try
            {
                var data = await client.GetDataAsync($"{Path}/{name}", ct: ct).ConfigureAwait(false);
                members.Add(new Member(name, data.Data, data.Stat.EphemeralOwner));
            }
            catch (NoNodeException)
            {
                // Left since the listing.
            }
        }
        return members;
    }

    /// <summary>The member list now, then again after each join, leave or payload change.</summary>
    /// <param name="ct">Ends the enumeration.</param>
    /// <exception cref="SessionExpiredException">The watching session expired.</exception>
    public async IAsyncEnumerable<IReadOnlyList<Member>> WatchAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var nodes in ChildrenWatch.WatchAsync(client, Path, ct).ConfigureAwait(false))
            yield return nodes.Select(n => new Member(n.Name, n.Data, n.Stat.EphemeralOwner)).ToList();
    }
}

/// <summary>This session's membership of a group; disposing it leaves the group.</summary>
public sealed class GroupMember : IAsyncDisposable
{
    private readonly CoordClient client;
    private int left;

    internal GroupMember(CoordClient client, string id, string path)
    {
        this.client = client;
        Id = id;
        Path = path;
    }

    /// <summary>The member id.</summary>
    public string Id { get; }

    /// <summary>The member node's full path.</summary>
    public string Path { get; }

    /// <summary>Publishes a new payload.</summary>
    /// <param name="payload">The new bytes (null = empty).</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <exception cref="NoNodeException">The member node is gone (left, or the session expired).</exception>
    public Task UpdateAsync(byte[]? payload, CancellationToken ct = default) => EphemeralNodes.SetOwnAsync(client, Path, payload, ct);

    /// <summary>Leaves the group (deletes the member node).</summary>
    /// <param name="ct">Cancels the wait.</param>
    public async Task LeaveAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref left, 1) == 0) await RecipeNodes.DeleteQuietlyAsync(client, Path, ct).ConfigureAwait(false);
    }

    /// <summary>Leaves the group if the session is still usable (otherwise the node is already gone or will go with it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (client.State is not (ConnectionState.Connected or ConnectionState.Disconnected)) return;
        try
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await LeaveAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CoordException or OperationCanceledException or ObjectDisposedException)
        {
            // Best effort: the node is an ephemeral and goes with the session.
        }
    }
}

/// <summary>Creating and writing ephemeral nodes that are identified by name (members, service instances).</summary>
internal static class EphemeralNodes
{
    private const int AttemptsMax = 10;

    /// <summary>Creates the ephemeral <c>{parent}/{name}</c>, or adopts it when this session already owns it (a create
    /// whose reply was lost, or a second registration), writing <paramref name="data"/> in that case.</summary>
    /// <exception cref="NodeExistsException">Another session owns the node.</exception>
    public static async Task<string> CreateOwnAsync(CoordClient client, string parent, string name, byte[]? data, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal))
            throw new ArgumentException($"'{name}' is not a node name", nameof(name));
        string path = $"{parent}/{name}";
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await client.CreateAsync(path, data, mode: CreateMode.Ephemeral, ct: ct).ConfigureAwait(false);
            }
            catch (NoNodeException) when (attempt < AttemptsMax)
            {
                await RecipeNodes.EnsurePathAsync(client, parent, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NodeExistsException or ConnectionLossException && attempt < AttemptsMax)
            {
                var stat = await client.ExistsAsync(path, ct: ct).ConfigureAwait(false);
                if (stat is null) continue; // our create was not applied, or the other owner left: create again
                if (stat.Value.EphemeralOwner != client.SessionId) throw new NodeExistsException(path);
                await SetOwnAsync(client, path, data, ct).ConfigureAwait(false);
                return path;
            }
        }
    }

    /// <summary>Writes a node only this session writes: an unconditional set, repeated after a connection loss
    /// (repeating it leaves the same bytes).</summary>
    public static async Task SetOwnAsync(CoordClient client, string path, byte[]? data, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await client.SetDataAsync(path, data, ct: ct).ConfigureAwait(false);
                return;
            }
            catch (ConnectionLossException) when (attempt < AttemptsMax)
            {
                // Same bytes again: harmless whether or not the first write was applied.
            }
        }
    }
}

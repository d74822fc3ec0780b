using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>
/// A double barrier (the ZooKeeper recipe, as Curator's DistributedDoubleBarrier): <see cref="EnterAsync(CancellationToken)"/>
/// waits until <see cref="MemberCount"/> members have entered, and <see cref="LeaveAsync(CancellationToken)"/> waits until
/// every member that entered has left. Members start and finish a computation together.
/// </summary>
/// <remarks>
/// <para><b>Enter:</b> a member creates an ephemeral <c>{path}/&lt;guid&gt;</c> and counts the member nodes; with too few
/// it watches <c>{path}/ready</c>. The member that sees <see cref="MemberCount"/> of them creates <c>ready</c>, which wakes every
/// waiting member at once (that is the release, not a herd). A member that comes when <c>ready</c> already exists
/// passes at once.</para>
/// <para><b>Leave:</b> members are ordered by node name. The lowest waits for the highest to go; every other member
/// deletes its node and waits for the lowest to go; the lowest deletes its node when it is the only one left. So
/// each wait watches one node, and nobody returns before every member has deleted its node. The last member also
/// deletes <c>ready</c>, so the path can serve the next round once everyone has left.</para>
/// <para>One instance is one member; its calls must not overlap. Member nodes are ephemeral: a member whose session
/// ends counts as left.</para>
/// </remarks>
/// <example><code>
/// var round = new DistributedDoubleBarrier(client, "/barriers/epoch-42", memberCount: 4);
/// await round.EnterAsync(TimeSpan.FromSeconds(30));   // returns when all 4 workers are in
/// await ComputeMyPartAsync();
/// await round.LeaveAsync(TimeSpan.FromSeconds(30));   // returns when all 4 are done
/// </code></example>
public sealed class DistributedDoubleBarrier
{
    /// <summary>The name of the node that tells the members that all have entered.</summary>
    public const string ReadyName = "ready";

    private readonly CoordClient client;
    private string? ourPath;

    /// <summary>A double barrier at <paramref name="path"/> for <paramref name="memberCount"/> members.</summary>
    /// <param name="client">The session of this member.</param>
    /// <param name="path">The barrier's node (created with its parents on first use); member nodes go under it.</param>
    /// <param name="memberCount">How many members must enter before any may go on; every member must pass the same number.</param>
    public DistributedDoubleBarrier(CoordClient client, string path, int memberCount)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(memberCount, 1);
        this.client = client;
        Path = path;
        MemberCount = memberCount;
    }

    /// <summary>The barrier's node.</summary>
    public string Path { get; }

    /// <summary>How many members must enter.</summary>
    public int MemberCount { get; }

    /// <summary>This member's node while it is inside (entered and not yet left), else null.</summary>
    public string? NodePath => ourPath;

    private string ReadyPath => $"{Path}/{ReadyName}";

    /// <summary>Enters and waits until <see cref="MemberCount"/> members have entered.</summary>
    /// <param name="ct">Gives up waiting; this member's node is deleted.</param>
    public async Task EnterAsync(CancellationToken ct = default) =>
        _ = await TryEnterAsync(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);

    /// <summary>Enters and waits up to <paramref name="timeout"/> until <see cref="MemberCount"/> members have entered.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    /// <exception cref="TimeoutException">Too few members in time (this member's node is deleted).</exception>
    public async Task EnterAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        if (!await TryEnterAsync(timeout, ct).ConfigureAwait(false))
            throw new TimeoutException($"double barrier {Path}: fewer than {MemberCount} members entered within {timeout.TotalMilliseconds} ms");
    }

    /// <summary>Enters and waits up to <paramref name="timeout"/>; false (and not entered) if too few members came in time.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    /// <exception cref="InvalidOperationException">This member has entered and not left.</exception>
    public async Task<bool> TryEnterAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        if (ourPath is not null) throw new InvalidOperationException($"double barrier {Path}: already entered");
        using var deadline = RecipeWatch.Deadline(timeout, ct);
        string? node = null;
        try
        {
            node = await CreateMemberNodeAsync(deadline.Token).ConfigureAwait(false);
            while (true)
            {
                if (Members(await client.GetChildrenAsync(Path, ct: deadline.Token).ConfigureAwait(false)).Count >= MemberCount)
                {
                    await CreateReadyAsync(deadline.Token).ConfigureAwait(false);
                    break;
                }
                // Too few: wait for ready. Checked after the count, so a ready created since is seen here, and one
                // created later fires the watch. (So a member that watches ready has finished counting.)
                var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (await client.ExistsAsync(ReadyPath, _ => ready.TrySetResult(), deadline.Token).ConfigureAwait(false) is not null) break;
                await ready.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            ourPath = node;
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            if (node is not null) await RecipeNodes.DeleteQuietlyAsync(client, node).ConfigureAwait(false);
            return false;
        }
        catch
        {
            if (node is not null && RecipeWatch.CanCleanUp(client)) await RecipeNodes.DeleteQuietlyAsync(client, node).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Leaves and waits until every member has left.</summary>
    /// <param name="ct">Gives up waiting; this member's node is deleted (it counts as left).</param>
    public async Task LeaveAsync(CancellationToken ct = default) =>
        _ = await TryLeaveAsync(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);

    /// <summary>Leaves and waits up to <paramref name="timeout"/> until every member has left.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    /// <exception cref="TimeoutException">Some member had not left in time (this member's node is deleted).</exception>
    public async Task LeaveAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        if (!await TryLeaveAsync(timeout, ct).ConfigureAwait(false))
            throw new TimeoutException($"double barrier {Path}: not every member left within {timeout.TotalMilliseconds} ms");
    }

    /// <summary>Leaves and waits up to <paramref name="timeout"/>; false if some member had not left in time. Either
    /// way this member's node is gone afterwards.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    /// <exception cref="InvalidOperationException">This member is not inside the barrier.</exception>
    public async Task<bool> TryLeaveAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        string node = ourPath ?? throw new InvalidOperationException($"double barrier {Path}: not entered");
        string ours = RecipeNodes.Name(node);
        bool oursExists = true;
        using var deadline = RecipeWatch.Deadline(timeout, ct);
        try
        {
            while (true)
            {
                var members = Members(await client.GetChildrenAsync(Path, ct: deadline.Token).ConfigureAwait(false));
                if (members.Count == 0) break;
                int index = members.IndexOf(ours);
                if (index < 0 && oursExists) throw new NoNodeException(node); // our ephemeral is gone: the session was lost
                if (members is [var only] && only == ours)
                {
                    // The last one: reset the barrier for a next round, then go.
                    await RecipeNodes.DeleteQuietlyAsync(client, ReadyPath, deadline.Token).ConfigureAwait(false);
                    await RecipeNodes.DeleteQuietlyAsync(client, node, deadline.Token).ConfigureAwait(false);
                    oursExists = false;
                    break;
                }
                string awaited;
                if (index == 0)
                {
                    awaited = members[^1];
                }
                else
                {
                    awaited = members[0];
                    if (oursExists)
                    {
                        await RecipeNodes.DeleteQuietlyAsync(client, node, deadline.Token).ConfigureAwait(false);
                        oursExists = false;
                    }
                }
                await RecipeWatch.WaitForChangeAsync(client, $"{Path}/{awaited}", deadline.Token).ConfigureAwait(false);
            }
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            // Whatever happened, this member is out: a member that gives up must not hold the others back.
            if (oursExists && RecipeWatch.CanCleanUp(client)) await RecipeNodes.DeleteQuietlyAsync(client, node).ConfigureAwait(false);
            ourPath = null;
        }
    }

    private async Task<string> CreateMemberNodeAsync(CancellationToken ct) =>
        (await RecipeCreates.CreateUniqueEphemeralAsync(client, $"{Path}/{Guid.NewGuid():N}", ct).ConfigureAwait(false)).Path;

    private async Task CreateReadyAsync(CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await client.CreateAsync(ReadyPath, null, ct: ct).ConfigureAwait(false);
                return;
            }
            catch (NodeExistsException)
            {
                return; // another member counted first, or our lost create was applied
            }
            catch (ConnectionLossException) when (attempt < 10)
            {
            }
        }
    }

    /// <summary>The member nodes (every child but <c>ready</c>), by name.</summary>
    private static List<string> Members(IEnumerable<string> children) =>
        children.Where(c => c != ReadyName).Order(StringComparer.Ordinal).ToList();
}

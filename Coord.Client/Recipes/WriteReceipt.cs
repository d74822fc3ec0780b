using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>
/// Makes a conditional write whose reply is lost to a connection loss decidable. The client retries a versioned
/// setData after a connection loss, and a retry of a write that was applied fails with BadVersion, which is
/// indistinguishable from "another writer won"; rereading the node does not settle it either, because another
/// writer may have written the same bytes, or written again since. So the recipes never use a bare versioned write
/// for a compare-and-set: they commit it in a multi (never retried by the client) together with a bump of this
/// instance's own receipt node, an ephemeral that only this instance writes. After a connection loss, the receipt's
/// version says whether the multi was applied: it moved by one if and only if it was.
/// </summary>
/// <remarks>
/// The read that decides is sent after the connection loss, through the same session, so it is ordered after the
/// lost multi (per-session FIFO, as in ZooKeeper). Commits are serialized per instance (a gate) because the receipt
/// version is the instance's own counter. The receipt lives as an ephemeral child <c>_r_&lt;guid&gt;</c> of
/// <paramref name="parent"/>, so it goes away with the session.
/// </remarks>
internal sealed class WriteReceipt(CoordClient client, string parent)
{
    /// <summary>Names of receipt nodes start with this; recipes skip such children.</summary>
    public const string Prefix = "_r_";

    private const int ResolveAttemptsMax = 10;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly string path = $"{parent}/{Prefix}{Guid.NewGuid():N}";
    private int version = -1; // -1: not created yet

    /// <summary>The receipt node's full path.</summary>
    public string Path => path;

    /// <summary>Test hook: runs just before a multi is sent (specs use it to lose that multi's reply).</summary>
    internal Action? Committing { get; set; }

    /// <summary>
    /// Commits the ops <paramref name="addOps"/> adds, plus the receipt bump, as one multi. Completes when it was
    /// applied, also when its reply was lost but the receipt shows it applied. Throws
    /// <see cref="TransactionFailedException"/> when one of the caller's ops failed, and
    /// <see cref="ConnectionLossException"/> only when the receipt shows the multi was not applied: after either,
    /// nothing was applied and the caller may simply try again.
    /// </summary>
    /// <param name="addOps">Adds the caller's ops to the transaction (the receipt op comes after them).</param>
    /// <param name="ct">Cancels the wait; a multi already sent may still be applied (the receipt then records it,
    /// but the caller does not learn it: cancellation is as ambiguous as a lost reply without this helper).</param>
    public async Task CommitAsync(Action<Transaction> addOps, CancellationToken ct)
    {
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await EnsureCreatedAsync(ct).ConfigureAwait(false);
            var txn = client.Transaction();
            addOps(txn);
            txn.SetData(path, null, version);
            Committing?.Invoke();
            try
            {
                await txn.CommitAsync(ct).ConfigureAwait(false);
                version++;
            }
            catch (ConnectionLossException)
            {
                if (!await ResolveAsync(ct).ConfigureAwait(false)) throw;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Deletes the receipt node (it is an ephemeral, so closing the session does it too).</summary>
    public async Task DeleteAsync(CancellationToken ct = default)
    {
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (version < 0) return;
            await RecipeNodes.DeleteQuietlyAsync(client, path, ct).ConfigureAwait(false);
            version = -1;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>After a lost multi: true (and the local version advanced) if the receipt shows it was applied;
    /// false if it was not, and the caller's ops were not applied either; the caller then rethrows.</summary>
    private async Task<bool> ResolveAsync(CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                var stat = await client.ExistsAsync(path, ct: ct).ConfigureAwait(false)
                    ?? throw new SessionExpiredException(); // only its session deletes it (or whoever tampers with it)
                if (stat.Version == version + 1)
                {
                    version++;
                    return true;
                }
                if (stat.Version != version)
                    throw new InvalidOperationException($"receipt {path} is at version {stat.Version}, expected {version} or {version + 1}: it was written by someone else");
                return false;
            }
            catch (ConnectionLossException) when (attempt < ResolveAttemptsMax)
            {
                // Reads are retried by the client; this is only a second line for a very unstable link.
            }
        }
    }

    private async Task EnsureCreatedAsync(CancellationToken ct)
    {
        if (version >= 0) return;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await client.CreateAsync(path, null, mode: CreateMode.Ephemeral, ct: ct).ConfigureAwait(false);
                version = 0;
                return;
            }
            catch (NoNodeException) when (attempt < ResolveAttemptsMax)
            {
                await RecipeNodes.EnsurePathAsync(client, parent, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ConnectionLossException or NodeExistsException && attempt < ResolveAttemptsMax)
            {
                // The name holds a fresh GUID, so a node with it is ours if our session owns it.
                var stat = await client.ExistsAsync(path, ct: ct).ConfigureAwait(false);
                if (stat is { } s && s.EphemeralOwner == client.SessionId)
                {
                    version = s.Version;
                    return;
                }
            }
        }
    }
}

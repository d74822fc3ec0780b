using System.Buffers.Binary;

namespace Coord.Client.Recipes;

/// <summary>The outcome of one <see cref="DistributedAtomicLong"/> operation.</summary>
/// <param name="Succeeded">Whether the change was applied (false: a compare-and-set found another value, or the
/// attempts ran out under contention; nothing was changed).</param>
/// <param name="PreValue">The value the operation read last (before its change, when it succeeded).</param>
/// <param name="PostValue">The value after the change when it succeeded; otherwise equal to <paramref name="PreValue"/>.</param>
public readonly record struct AtomicResult(bool Succeeded, long PreValue, long PostValue);

/// <summary>
/// A 64-bit counter in one node (Curator's DistributedAtomicLong): every change is an optimistic compare-and-set,
/// read the value and its version, write the new value conditioned on that version, and start over when another
/// writer got in between. The value is 8 big-endian bytes, as Curator stores it; a missing or empty node reads 0.
/// </summary>
/// <remarks>
/// A versioned write whose reply is lost is the trap of this recipe: the client retries it after reconnecting, the
/// retry of an applied write fails with BadVersion, and treating that as "someone else won" would apply the
/// increment twice. Rereading the value cannot tell either (another writer may have written the same value, or
/// written again since). So each write is a multi with a bump of this instance's receipt node (an ephemeral
/// <c>_r_&lt;guid&gt;</c> child of the counter node), which is never retried by the client and whose outcome the
/// receipt's version decides; see <see cref="WriteReceipt"/>. Operations on one instance are serialized; a cancelled
/// operation may still have been applied.
/// </remarks>
/// <example><code>
/// var orders = new DistributedAtomicLong(client, "/counters/orders");
/// AtomicResult r = await orders.IncrementAsync();
/// if (r.Succeeded) Console.WriteLine($"order number {r.PostValue}");
/// </code></example>
public sealed class DistributedAtomicLong
{
    private readonly CoordClient client;
    private readonly WriteReceipt receipt;
    private readonly int attemptsMax;

    /// <summary>A counter at <paramref name="path"/> (created, with value 0, on first use).</summary>
    /// <param name="client">The session that reads and writes.</param>
    /// <param name="path">The counter node.</param>
    /// <param name="attemptsMax">Compare-and-set attempts before an increment gives up with Succeeded = false.</param>
    public DistributedAtomicLong(CoordClient client, string path, int attemptsMax = 1000)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(attemptsMax, 1);
        this.client = client;
        this.attemptsMax = attemptsMax;
        Path = path;
        receipt = new WriteReceipt(client, path);
    }

    /// <summary>The counter node.</summary>
    public string Path { get; }

    /// <summary>This instance's receipt (for specs).</summary>
    internal WriteReceipt Receipt => receipt;

    /// <summary>The current value (0 when the node does not exist).</summary>
    /// <param name="ct">Cancels the wait.</param>
    public async Task<long> GetAsync(CancellationToken ct = default)
    {
        try
        {
            return Decode((await client.GetDataAsync(Path, ct: ct).ConfigureAwait(false)).Data);
        }
        catch (NoNodeException)
        {
            return 0;
        }
    }

    /// <summary>Adds one.</summary>
    /// <param name="ct">Cancels the wait (a change already sent may still be applied).</param>
    public Task<AtomicResult> IncrementAsync(CancellationToken ct = default) => AddAsync(1, ct);

    /// <summary>Subtracts one.</summary>
    /// <param name="ct">Cancels the wait (a change already sent may still be applied).</param>
    public Task<AtomicResult> DecrementAsync(CancellationToken ct = default) => AddAsync(-1, ct);

    /// <summary>Adds <paramref name="delta"/> (wrapping on overflow), retrying under contention up to the attempt limit.</summary>
    /// <param name="delta">The amount to add.</param>
    /// <param name="ct">Cancels the wait (a change already sent may still be applied).</param>
    public Task<AtomicResult> AddAsync(long delta, CancellationToken ct = default) =>
        UpdateAsync(current => unchecked(current + delta), attemptsMax, ct);

    /// <summary>Sets the value to <paramref name="newValue"/> only if it is <paramref name="expectedValue"/>. Retries only
    /// when another writer changed the node but left <paramref name="expectedValue"/> in it.</summary>
    /// <param name="expectedValue">The value the counter must hold.</param>
    /// <param name="newValue">The value to set.</param>
    /// <param name="ct">Cancels the wait (a change already sent may still be applied).</param>
    public Task<AtomicResult> CompareAndSetAsync(long expectedValue, long newValue, CancellationToken ct = default) =>
        UpdateAsync(current => current == expectedValue ? newValue : null, attemptsMax, ct);

    /// <summary>Sets the value if nobody changes the node between this call's read and its write (one attempt).</summary>
    /// <param name="newValue">The value to set.</param>
    /// <param name="ct">Cancels the wait (a change already sent may still be applied).</param>
    public Task<AtomicResult> TrySetAsync(long newValue, CancellationToken ct = default) => UpdateAsync(_ => newValue, 1, ct);

    /// <summary>Sets the value whatever it is (retrying under contention; always succeeds unless cancelled).</summary>
    /// <param name="newValue">The value to set.</param>
    /// <param name="ct">Cancels the wait (a change already sent may still be applied).</param>
    public Task<AtomicResult> ForceSetAsync(long newValue, CancellationToken ct = default) =>
        UpdateAsync(_ => newValue, int.MaxValue, ct);

    /// <summary>Deletes this instance's receipt node. Optional: it is an ephemeral and goes with the session.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public Task CloseAsync(CancellationToken ct = default) => receipt.DeleteAsync(ct);

    /// <summary>The read-modify-conditional-write loop; <paramref name="next"/> returns null to give up (no change).</summary>
    private async Task<AtomicResult> UpdateAsync(Func<long, long?> next, int attempts, CancellationToken ct)
    {
        long current = 0;
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            DataResult read;
            try
            {
                read = await client.GetDataAsync(Path, ct: ct).ConfigureAwait(false);
            }
            catch (NoNodeException)
            {
                await RecipeNodes.EnsurePathAsync(client, Path, ct).ConfigureAwait(false); // empty data reads 0
                attempt--;
                continue;
            }
            current = Decode(read.Data);
            if (next(current) is not { } value) return new AtomicResult(false, current, current);
            byte[] bytes = new byte[sizeof(long)];
            BinaryPrimitives.WriteInt64BigEndian(bytes, value);
            try
            {
                await receipt.CommitAsync(txn => txn.SetData(Path, bytes, read.Stat.Version), ct).ConfigureAwait(false);
                return new AtomicResult(true, current, value);
            }
            catch (TransactionFailedException e) when (e.FailedIndex == 0 && e.Code == Protocol.ErrorCode.BadVersion)
            {
                // Another writer got in between: read again after a short jittered pause that spreads contenders.
                await Task.Delay(Random.Shared.Next(0, Math.Min(attempt, 8) + 1), ct).ConfigureAwait(false);
            }
            catch (ConnectionLossException)
            {
                // The receipt shows the write was not applied: read again and retry.
            }
        }
        return new AtomicResult(false, current, current);
    }

    private long Decode(byte[] data) => data.Length switch
    {
        0 => 0,
        >= sizeof(long) => BinaryPrimitives.ReadInt64BigEndian(data), // Curator reads the first 8 bytes too
        _ => throw new FormatException($"{Path} holds {data.Length} bytes, not an 8-byte counter"),
    };
}

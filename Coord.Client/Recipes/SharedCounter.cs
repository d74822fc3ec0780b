using System.Buffers.Binary;

namespace Coord.Client.Recipes;

/// <summary>A counter value and the node version it was read at (the version a <see cref="SharedCounter.TrySetCountAsync"/>
/// must name).</summary>
/// <param name="Value">The count.</param>
/// <param name="Version">The node's data version.</param>
public readonly record struct VersionedCount(int Value, int Version);

/// <summary>
/// A shared integer that every participant sees and is told about when it changes (Curator's SharedCount): the
/// value is 4 big-endian bytes in one node, as Curator stores it. <see cref="TrySetCountAsync"/> is a
/// compare-and-set on the node version; <see cref="CountChanged"/> reports each new value this instance observes.
/// </summary>
/// <remarks>
/// Start it with <see cref="StartAsync"/> (creates the node with the seed if missing, reads it, arms the watch) and
/// dispose it to stop listening. Listeners run one at a time on a background task; like any ZooKeeper watch they
/// may skip intermediate values when changes come fast, but the latest value is always reported. Writes go
/// through a multi with this instance's receipt node (<see cref="WriteReceipt"/>), so a versioned write whose reply
/// is lost and that the client would otherwise retry into BadVersion is still reported correctly.
/// </remarks>
/// <example><code>
/// await using var workers = new SharedCounter(client, "/config/workers", seed: 4);
/// workers.CountChanged += (_, c) => Resize(c.Value);
/// await workers.StartAsync();
/// var seen = workers.Current;
/// bool won = await workers.TrySetCountAsync(seen.Value + 1, seen.Version);
/// </code></example>
public sealed class SharedCounter : IAsyncDisposable
{
    private readonly CoordClient client;
    private readonly int seed;
    private readonly WriteReceipt receipt;
    private readonly CancellationTokenSource stop = new();
    private readonly Lock currentGate = new(); // current is written by callers and by the listener
    private VersionedCount current;
    private Task? listening;
    private long reportedMzxid;

    /// <summary>A counter at <paramref name="path"/> that starts at <paramref name="seed"/> if the node does not exist.</summary>
    /// <param name="client">The session.</param>
    /// <param name="path">The counter node.</param>
    /// <param name="seed">The value to create the node with.</param>
    public SharedCounter(CoordClient client, string path, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(path);
        this.client = client;
        this.seed = seed;
        Path = path;
        receipt = new WriteReceipt(client, path);
    }

    /// <summary>The counter node.</summary>
    public string Path { get; }

    /// <summary>The latest value this instance has seen (read, written or notified).</summary>
    public VersionedCount Current
    {
        get
        {
            lock (currentGate) return current;
        }
    }

    /// <summary>The latest count this instance has seen.</summary>
    public int Count => Current.Value;

    /// <summary>Raised with each new value observed through the watch, in order, on the listening task.
    /// An exception from a handler is swallowed so that later changes are still reported.</summary>
    public event EventHandler<VersionedCount>? CountChanged;

    /// <summary>Creates the node with the seed if it is missing, reads it and starts listening.</summary>
    /// <param name="ct">Cancels the start.</param>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (listening is not null) throw new InvalidOperationException("already started");
        await RecipeNodes.EnsurePathAsync(client, ParentOf(Path), ct).ConfigureAwait(false);
        try
        {
            await client.CreateAsync(Path, Encode(seed), ct: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NodeExistsException or ConnectionLossException)
        {
            // Someone else seeded it, or our create was lost in either direction: the read below tells the value.
        }
        var first = await client.GetDataAsync(Path, ct: ct).ConfigureAwait(false);
        Observe(new VersionedCount(Decode(first.Data), first.Stat.Version));
        reportedMzxid = first.Stat.Mzxid;
        listening = Task.Run(() => ListenAsync(stop.Token), CancellationToken.None);
    }

    /// <summary>Reads the value from the server.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public async Task<VersionedCount> ReadAsync(CancellationToken ct = default)
    {
        var read = await client.GetDataAsync(Path, ct: ct).ConfigureAwait(false);
        var value = new VersionedCount(Decode(read.Data), read.Stat.Version);
        Observe(value);
        return value;
    }

    /// <summary>Sets the value whatever it is (after <see cref="StartAsync"/>).</summary>
    /// <param name="newCount">The new value.</param>
    /// <param name="ct">Cancels the wait (a write already sent may still be applied).</param>
    public async Task SetCountAsync(int newCount, CancellationToken ct = default)
    {
        EnsureStarted();
        while (true)
        {
            try
            {
                await receipt.CommitAsync(txn => txn.SetData(Path, Encode(newCount), -1), ct).ConfigureAwait(false);
                return;
            }
            catch (ConnectionLossException)
            {
                // Not applied (the receipt says so): write again.
            }
        }
    }

    /// <summary>Sets the value only if the node is still at <paramref name="expectedVersion"/> (after <see cref="StartAsync"/>).</summary>
    /// <param name="newCount">The new value.</param>
    /// <param name="expectedVersion">The version of the value this change is based on (<see cref="VersionedCount.Version"/>).</param>
    /// <param name="ct">Cancels the wait (a write already sent may still be applied).</param>
    /// <returns>True if this call set the value; false if the node had another version (nothing changed).</returns>
    public async Task<bool> TrySetCountAsync(int newCount, int expectedVersion, CancellationToken ct = default)
    {
        EnsureStarted();
        while (true)
        {
            try
            {
                await receipt.CommitAsync(txn => txn.SetData(Path, Encode(newCount), expectedVersion), ct).ConfigureAwait(false);
                Observe(new VersionedCount(newCount, expectedVersion + 1));
                return true;
            }
            catch (TransactionFailedException e) when (e.FailedIndex == 0 && e.Code == Protocol.ErrorCode.BadVersion)
            {
                return false;
            }
            catch (ConnectionLossException)
            {
                // Not applied (the receipt says so): the version check decides again.
            }
        }
    }

    /// <summary>Stops listening and deletes this instance's receipt node (if the session is still usable).</summary>
    public async ValueTask DisposeAsync()
    {
        if (stop.IsCancellationRequested) return;
        await stop.CancelAsync().ConfigureAwait(false);
        if (listening is not null)
        {
            try
            {
                await listening.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The listener ends with cancellation, or with the session; neither matters when stopping.
            }
        }
        if (client.State is ConnectionState.Connected or ConnectionState.Disconnected)
        {
            try
            {
                using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await receipt.DeleteAsync(bounded.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CoordException or OperationCanceledException or ObjectDisposedException)
            {
                // Best effort: the receipt is an ephemeral and goes with the session.
            }
        }
        stop.Dispose();
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        await foreach (var value in client.WatchDataAsync(Path, ct).ConfigureAwait(false))
        {
            if (value is null) continue; // deleted: report again once it is recreated
            var seen = new VersionedCount(Decode(value.Data), value.Stat.Version);
            // The stream starts with the value StartAsync already read; report only writes after that one.
            if (value.Stat.Mzxid == reportedMzxid) continue;
            reportedMzxid = value.Stat.Mzxid;
            Observe(seen);
            try
            {
                CountChanged?.Invoke(this, seen);
            }
            catch (Exception)
            {
                // A listener's failure must not stop the others from hearing later changes.
            }
        }
    }

    /// <summary>Writes need the node StartAsync seeds (writing the receipt first would create it empty).</summary>
    private void EnsureStarted()
    {
        if (listening is null) throw new InvalidOperationException($"call {nameof(StartAsync)} before writing the counter");
    }

    private void Observe(VersionedCount value)
    {
        lock (currentGate)
        {
            if (value.Version >= current.Version) current = value;
        }
    }

    private static string ParentOf(string path) => path.LastIndexOf('/') is > 0 and var slash ? path[..slash] : "/";

    private static byte[] Encode(int value)
    {
        byte[] bytes = new byte[sizeof(int)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private int Decode(byte[] data) => data.Length >= sizeof(int)
        ? BinaryPrimitives.ReadInt32BigEndian(data)
        : throw new FormatException($"{Path} holds {data.Length} bytes, not a 4-byte count");
}

using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>A change seen by a <see cref="NodeCache"/>.</summary>
/// <param name="Previous">The value before (null: the node did not exist).</param>
/// <param name="Current">The value now (null: the node does not exist).</param>
public sealed record NodeCacheChange(CachedNode? Previous, CachedNode? Current);

/// <summary>
/// Keeps the current data and Stat of one node, or null while it does not exist (Curator's NodeCache). A persistent
/// watch on the node triggers a re-read on every change, so <see cref="Current"/> converges to the node's last
/// value; intermediate values written in quick succession may be skipped, but a value is never replaced by an
/// older one (mzxid is compared) and a delete followed by a re-create is reported as two changes (to null, then to
/// the new node), even when both happened between two reads.
/// </summary>
/// <remarks>
/// Ordering contract: one loop reads and applies; <see cref="Changed"/> handlers and <see cref="WatchAsync"/> streams
/// see the changes in the order they were applied, one at a time, on that loop (keep handlers short; a handler that
/// throws stops the cache and faults <see cref="Completion"/>). After a connection loss the node is read again once
/// the client has reconnected, because a persistent watch re-added by setWatches2 does not replay the changes made
/// while disconnected. A <see cref="CoordClient"/> is one session and is dead after expiry, so the cache cannot
/// rebuild on a new session by itself: on expiry it stops, keeps the last value it saw (stale from then on), faults
/// <see cref="Completion"/> with <see cref="SessionExpiredException"/> and ends every stream with that exception.
/// Create a new client and a new cache then. Disposing the client ends the cache normally.
/// </remarks>
/// <example><code>
/// await using var cache = new NodeCache(client, "/config/feature-flags");
/// cache.Changed += (_, change) => Reload(change.Current?.Data);
/// await cache.StartAsync();
/// var now = cache.Current; // null while the node does not exist
/// </code></example>
public sealed class NodeCache : IAsyncDisposable
{
    private readonly CoordClient client;
    private readonly CacheFeed feed;
    private readonly CancellationTokenSource stop = new();
    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock gate = new();
    private readonly List<Channel<CachedNode?>> streams = [];
    private CachedNode? current;
    private Task? loop;
    private int started;
    private int disposed;

    /// <summary>A cache of <paramref name="path"/> (the node need not exist).</summary>
    /// <param name="client">The session to read and watch with.</param>
    /// <param name="path">The node's path.</param>
    public NodeCache(CoordClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(path);
        this.client = client;
        Path = path;
        feed = new CacheFeed(client, path, AddWatchMode.Persistent);
    }

    /// <summary>The cached node's path.</summary>
    public string Path { get; }

    /// <summary>The node as last read, or null while it does not exist (or before the first read).</summary>
    public CachedNode? Current
    {
        get
        {
            lock (gate) return current;
        }
    }

    /// <summary>Raised on the cache's loop for every change of <see cref="Current"/>, in order.</summary>
    public event EventHandler<NodeCacheChange>? Changed;

    /// <summary>Completes when the cache stops: normally after <see cref="DisposeAsync"/> or when the client is
    /// disposed; faulted with <see cref="SessionExpiredException"/> on expiry, or with the error that stopped it.</summary>
    public Task Completion => completion.Task;

    /// <summary>
    /// Adds the watch and starts the cache. With <paramref name="buildInitial"/> the node is read before this returns
    /// (<see cref="Current"/> is set and no <see cref="Changed"/> is raised for that first value); without it this
    /// returns once the watch is added and the first value, if the node exists, arrives as a <see cref="Changed"/>.
    /// </summary>
    /// <param name="buildInitial">Read the node before returning.</param>
    /// <param name="ct">Cancels the start (the cache is then stopped).</param>
    public async Task StartAsync(bool buildInitial = true, CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref started, 1) != 0) throw new InvalidOperationException("the cache was already started");
        try
        {
            await feed.StartAsync(ct).ConfigureAwait(false);
            if (buildInitial)
            {
                var first = await ReadAsync(ct).ConfigureAwait(false);
                lock (gate) current = first;
            }
            else
            {
                feed.Post(new CacheWork.Resync());
            }
        }
        catch
        {
            feed.Stop();
            completion.TrySetResult();
            throw;
        }
        loop = RunAsync();
    }

    /// <summary>
    /// The current value (null: absent) and then each new one as the cache applies it. Every enumeration gets every
    /// change (buffered), so none is lost while the consumer is busy.
    /// </summary>
    /// <param name="ct">Ends the enumeration.</param>
    /// <exception cref="SessionExpiredException">The session expired.</exception>
    public async IAsyncEnumerable<CachedNode?> WatchAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        var channel = Channel.CreateUnbounded<CachedNode?>(new() { SingleReader = true });
        lock (gate)
        {
            channel.Writer.TryWrite(current);
            if (completion.Task.IsCompleted) channel.Writer.TryComplete(completion.Task.Exception?.InnerException);
            else streams.Add(channel);
        }
        try
        {
            await foreach (var value in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false)) yield return value;
        }
        finally
        {
            lock (gate) streams.Remove(channel);
        }
    }

    /// <summary>Stops the cache and drops its watch; streams end. The client is not disposed. Disposing twice is a no-op.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        feed.Stop();
        await stop.CancelAsync().ConfigureAwait(false);
        if (loop is not null) await loop.ConfigureAwait(false);
        Finish(null);
        stop.Dispose();
    }

    private async Task RunAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var batch = await feed.NextBatchAsync(stop.Token).ConfigureAwait(false);
                if (batch.Count == 0) break;
                if (batch.OfType<CacheWork.Ended>().FirstOrDefault() is { } ended)
                {
                    error = ended.Error;
                    break;
                }
                CachedNode? read;
                try
                {
                    read = await ReadAsync(stop.Token).ConfigureAwait(false);
                }
                catch (ConnectionLossException)
                {
                    // The retries ran out while the connection flapped; read again (it waits for the reconnection).
                    feed.Post(new CacheWork.Resync());
                    continue;
                }
                Apply(read);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
            // The client was disposed under us: a normal end.
        }
        catch (Exception e)
        {
            error = e;
        }
        feed.Stop();
        Finish(error);
    }

    private async Task<CachedNode?> ReadAsync(CancellationToken ct)
    {
        try
        {
            var (data, stat) = await client.GetDataAsync(Path, ct: ct).ConfigureAwait(false);
            return new CachedNode(Path, data, stat);
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    /// <summary>Applies a read: ignores an older one, reports a re-creation as a delete plus a create.</summary>
    private void Apply(CachedNode? read)
    {
        var previous = Current;
        if (previous is not null && read is not null)
        {
            if (read.Stat.Mzxid < previous.Stat.Mzxid || read.Stat.Czxid < previous.Stat.Czxid) return; // older than what we have
            if (read.Stat.Czxid != previous.Stat.Czxid)
            {
                Publish(previous, null);
                Publish(null, read);
                return;
            }
            if (read.Stat.Mzxid == previous.Stat.Mzxid)
            {
                // Only the child counters moved (no data change): keep the Stat exact without an event.
                if (read.Stat.Pzxid >= previous.Stat.Pzxid)
                {
                    lock (gate) current = read;
                }
                return;
            }
        }
        else if (previous is null && read is null)
        {
            return;
        }
        Publish(previous, read);
    }

    private void Publish(CachedNode? previous, CachedNode? next)
    {
        lock (gate)
        {
            current = next;
            foreach (var stream in streams) stream.Writer.TryWrite(next);
        }
        Changed?.Invoke(this, new NodeCacheChange(previous, next));
    }

    private void Finish(Exception? error)
    {
        lock (gate)
        {
            foreach (var stream in streams) stream.Writer.TryComplete(error);
            streams.Clear();
            if (error is null) completion.TrySetResult();
            else completion.TrySetException(error);
        }
    }
}

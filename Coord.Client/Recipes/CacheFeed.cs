using System.Threading.Channels;
using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>A cached node: its path (chroot removed), data and Stat as last read from the server.</summary>
/// <param name="Path">The node's path.</param>
/// <param name="Data">The node's bytes (empty when it holds none).</param>
/// <param name="Stat">The node's Stat at the read.</param>
public sealed record CachedNode(string Path, byte[] Data, Stat Stat);

/// <summary>What a cache's loop is told to do, in the order the client's dispatcher delivered it.</summary>
internal abstract record CacheWork
{
    /// <summary>A watch event for <paramref name="Path"/>: re-read it.</summary>
    public sealed record Changed(EventType Type, string Path) : CacheWork;

    /// <summary>The connection came back: events may have been missed (persistent watches are re-added by
    /// setWatches2 without replay), so read everything again.</summary>
    public sealed record Resync : CacheWork;

    /// <summary>The session is over (null: closed; else the reason, e.g. expiry).</summary>
    public sealed record Ended(Exception? Error) : CacheWork;
}

/// <summary>
/// The input side of a cache: one persistent watch on the cache's path plus the client's state changes, turned into
/// <see cref="CacheWork"/> items in one unbounded channel. Both arrive on the client's event dispatcher, so their
/// order is the order of the wire: a <see cref="CacheWork.Resync"/> is queued only after setWatches2 re-added the
/// watch, so every change after the resync's reads is seen as an event.
/// </summary>
internal sealed class CacheFeed(CoordClient client, string path, AddWatchMode mode)
{
    /// <summary>The most items one batch takes from the channel (bounds the reads one batch pipelines).</summary>
    public const int BatchItemsMax = 1024;

    private readonly Channel<CacheWork> work = Channel.CreateUnbounded<CacheWork>(new() { SingleReader = true });
    private Action? dropWatch;

    /// <summary>Subscribes to state changes, then adds the watch (so no reconnect between the two is missed).</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        client.StateChanged += OnStateChanged;
        try
        {
            dropWatch = await client.AddOwnedWatchAsync(path, mode, OnEvent, ct).ConfigureAwait(false);
        }
        catch
        {
            client.StateChanged -= OnStateChanged;
            throw;
        }
    }

    /// <summary>Queues work from the cache itself (a resync after a failed read).</summary>
    public void Post(CacheWork item) => work.Writer.TryWrite(item);

    /// <summary>Waits for at least one item, then takes what is queued, up to <see cref="BatchItemsMax"/>.
    /// Returns an empty list when the feed was stopped.</summary>
    public async Task<List<CacheWork>> NextBatchAsync(CancellationToken ct)
    {
        var batch = new List<CacheWork>();
        if (!await work.Reader.WaitToReadAsync(ct).ConfigureAwait(false)) return batch;
        while (batch.Count < BatchItemsMax && work.Reader.TryRead(out var item)) batch.Add(item);
        return batch;
    }

    /// <summary>Drops the watch and the state subscription. Idempotent.</summary>
    public void Stop()
    {
        client.StateChanged -= OnStateChanged;
        Interlocked.Exchange(ref dropWatch, null)?.Invoke();
        work.Writer.TryComplete();
    }

    private void OnStateChanged(object? sender, ConnectionStateChange change)
    {
        switch (change.Current)
        {
            case ConnectionState.Connected or ConnectionState.ConnectedReadOnly when change.Previous == ConnectionState.Disconnected:
                work.Writer.TryWrite(new CacheWork.Resync());
                break;
            case ConnectionState.Expired:
                work.Writer.TryWrite(new CacheWork.Ended(new SessionExpiredException()));
                break;
            case ConnectionState.Closed:
                work.Writer.TryWrite(new CacheWork.Ended(null));
                break;
        }
    }

    private void OnEvent(WatchedEvent e)
    {
        switch (e.State)
        {
            case KeeperState.Expired:
                work.Writer.TryWrite(new CacheWork.Ended(new SessionExpiredException()));
                return;
            case KeeperState.Closed:
                work.Writer.TryWrite(new CacheWork.Ended(null));
                return;
        }
        if (e.Type == EventType.PersistentWatchRemoved)
            work.Writer.TryWrite(new CacheWork.Ended(new InvalidOperationException($"the cache's watch on {path} was removed")));
        else if (e.Type != EventType.None)
            work.Writer.TryWrite(new CacheWork.Changed(e.Type, e.Path));
    }
}

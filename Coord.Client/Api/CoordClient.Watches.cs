using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Client.Watches;

namespace Coord.Client;

// Watches: one-shot and persistent callbacks, and IAsyncEnumerable streams (see the remarks on CoordClient).
public sealed partial class CoordClient
{
    /// <summary>Adds a persistent (optionally recursive) watch whose callback runs for every event until it is
    /// removed with <see cref="RemoveWatchesAsync"/>. Recursive watches see created, deleted and data-changed events
    /// of the node and all its descendants, not child-list events.</summary>
    /// <param name="path">The node's path (it need not exist).</param>
    /// <param name="mode">Persistent or PersistentRecursive.</param>
    /// <param name="callback">Runs on the client's event dispatcher.</param>
    /// <param name="ct">Cancels the wait.</param>
    public Task AddWatchAsync(string path, AddWatchMode mode, Action<WatchedEvent> callback, CancellationToken ct = default) =>
        AddWatchCoreAsync(path, mode, new Watcher(callback), ct);

    private Task<bool> AddWatchCoreAsync(string path, AddWatchMode mode, Watcher watcher, CancellationToken ct)
    {
        string serverPath = ToServer(path);
        var kind = mode == AddWatchMode.PersistentRecursive ? WatchKind.PersistentRecursive : WatchKind.Persistent;
        return RetryAsync(() => CallAsync(OpCode.AddWatch, new AddWatchRequest(serverPath, mode), path,
            OkOr(path, static (ErrorCode _, ref JuteReader _) => true), ct, session.RegisterOnReply(serverPath, watcher, kind)), ct);
    }

    /// <summary>Removes every watch of <paramref name="type"/> this session has on the path, on the server and locally;
    /// their callbacks get a *WatchRemoved event.</summary>
    /// <param name="path">The node's path.</param>
    /// <param name="type">Data, Children, Persistent, PersistentRecursive or Any.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <exception cref="NoWatcherException">No such watch is registered.</exception>
    public Task RemoveWatchesAsync(string path, WatcherType type, CancellationToken ct = default)
    {
        string serverPath = ToServer(path);
        return CallAsync(OpCode.RemoveWatches, new WatchesRequest(serverPath, type), path,
            OkOr(path, static (ErrorCode _, ref JuteReader _) => true), ct, session.RemoveOnReply(serverPath, type));
    }

    /// <summary>
    /// A stream of the events under <paramref name="path"/>, from a persistent watch (recursive by default) that is
    /// added when enumeration starts and removed when it stops. Events are buffered, so none is lost while the
    /// consumer is busy; changes made while the client is disconnected are not replayed one by one (as in ZooKeeper).
    /// </summary>
    /// <example><code>
    /// await foreach (var e in client.WatchAsync("/services", ct: stop)) Console.WriteLine(e);
    /// </code></example>
    /// <param name="path">The node's path (it need not exist).</param>
    /// <param name="mode">PersistentRecursive (default) or Persistent.</param>
    /// <param name="ct">Ends the enumeration.</param>
    /// <exception cref="SessionExpiredException">The session expired while watching.</exception>
    public async IAsyncEnumerable<WatchedEvent> WatchAsync(string path, AddWatchMode mode = AddWatchMode.PersistentRecursive,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var events = Channel.CreateUnbounded<WatchedEvent>(new() { SingleReader = true });
        var watcher = new Watcher(e => Forward(events, e));
        var kind = mode == AddWatchMode.PersistentRecursive ? WatchKind.PersistentRecursive : WatchKind.Persistent;
        await AddWatchCoreAsync(path, mode, watcher, ct).ConfigureAwait(false);
        try
        {
            await foreach (var e in events.Reader.ReadAllAsync(ct).ConfigureAwait(false)) yield return e;
        }
        finally
        {
            session.DropWatcher(kind, ToServer(path), watcher);
        }
    }

    /// <summary>
    /// A stream of a node's values: the current one first, then each new one after a change (re-arming a one-shot
    /// data watch each time, so intermediate values may be skipped but the last is always seen). Yields null while
    /// the node does not exist.
    /// </summary>
    /// <param name="path">The node's path.</param>
    /// <param name="ct">Ends the enumeration.</param>
    /// <exception cref="SessionExpiredException">The session expired while watching.</exception>
    public async IAsyncEnumerable<DataResult?> WatchDataAsync(string path, [EnumeratorCancellation] CancellationToken ct = default)
    {
        while (true)
        {
            var fired = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnEvent(WatchedEvent e) => fired.TrySetResult(e);
            DataResult? value;
            try
            {
                value = await GetDataAsync(path, OnEvent, ct).ConfigureAwait(false);
            }
            catch (NoNodeException)
            {
                // Not there: watch for its creation instead (exists leaves a watch either way).
                var stat = await ExistsAsync(path, OnEvent, ct).ConfigureAwait(false);
                if (stat is not null) continue;
                value = null;
            }
            yield return value;
            var e = await fired.Task.WaitAsync(ct).ConfigureAwait(false);
            if (e.State == KeeperState.Expired) throw new SessionExpiredException();
            if (e.State == KeeperState.Closed) yield break;
        }
    }

    private static void Forward(Channel<WatchedEvent> events, WatchedEvent e)
    {
        switch (e.State)
        {
            case KeeperState.Expired: events.Writer.TryComplete(new SessionExpiredException()); break;
            case KeeperState.Closed: events.Writer.TryComplete(); break;
            default:
                if (e.Type == EventType.PersistentWatchRemoved) events.Writer.TryComplete();
                else events.Writer.TryWrite(e);
                break;
        }
    }
}

using Coord.Protocol;
using Coord.Client.Watches;

namespace Coord.Client;

// A persistent watch owned by one recipe: removing it drops only that recipe's watcher (removeWatches is sent only
// when no other local watcher of the same kind is left on the path), unlike RemoveWatchesAsync, which removes every
// watch of the session on the path.
public sealed partial class CoordClient
{
    /// <summary>Adds a persistent watch whose callback runs for every event; the returned action drops it again.</summary>
    internal async Task<Action> AddOwnedWatchAsync(string path, AddWatchMode mode, Action<WatchedEvent> callback, CancellationToken ct)
    {
        var watcher = new Watcher(callback);
        var kind = mode == AddWatchMode.PersistentRecursive ? WatchKind.PersistentRecursive : WatchKind.Persistent;
        string serverPath = ToServer(path);
        await AddWatchCoreAsync(path, mode, watcher, ct).ConfigureAwait(false);
        return () => session.DropWatcher(kind, serverPath, watcher);
    }
}

using System.Text;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Client.Watches;

namespace Coord.Client.Sessions;

internal sealed partial class SessionActor
{
    /// <summary>ZooKeeper's SET_WATCHES_MAX_LENGTH: setWatches is split so no frame exceeds this many path bytes.</summary>
    internal const int SetWatchesBatchBytesMax = 128 * 1024;

    /// <summary>A registration run in the loop when the reply of the call that set it arrives.</summary>
    public Action<ErrorCode> RegisterOnReply(string serverPath, Watcher watcher, WatchKind onOk, WatchKind? onNoNode = null) =>
        err =>
        {
            if (err == ErrorCode.Ok) watches.Add(onOk, serverPath, watcher);
            else if (err == ErrorCode.NoNode && onNoNode is { } kind) watches.Add(kind, serverPath, watcher);
        };

    /// <summary>After a successful removeWatches: drop the local watchers of that type and tell them.</summary>
    public Action<ErrorCode> RemoveOnReply(string serverPath, WatcherType type) =>
        err =>
        {
            if (err != ErrorCode.Ok) return;
            void Drop(WatchKind kind, EventType removed)
            {
                var ev = new WatchedEvent(removed, KeeperState.SyncConnected, connectString.FromServer(serverPath));
                foreach (var w in watches.Remove(kind, serverPath)) dispatch.Writer.TryWrite(() => w.Callback(ev));
            }
            if (type is WatcherType.Data or WatcherType.Any)
            {
                Drop(WatchKind.Data, EventType.DataWatchRemoved);
                Drop(WatchKind.Exist, EventType.DataWatchRemoved);
            }
            if (type is WatcherType.Children or WatcherType.Any) Drop(WatchKind.Child, EventType.ChildWatchRemoved);
            if (type is WatcherType.Persistent or WatcherType.Any) Drop(WatchKind.Persistent, EventType.PersistentWatchRemoved);
            if (type is WatcherType.PersistentRecursive or WatcherType.Any) Drop(WatchKind.PersistentRecursive, EventType.PersistentWatchRemoved);
        };

    private void OnNotification(ReplyHeader header, ReadOnlySpan<byte> body)
    {
        var r = new Protocol.JuteReader(body);
        var raw = WatcherEvent.Read(ref r);
        var ev = new WatchedEvent(raw.Type, raw.State, connectString.FromServer(raw.Path));
        options.WireObserver?.Invoke(new WireFrame(WireFrameKind.Notification, header.Xid, header.Zxid, header.Err, null, false, ev));
        foreach (var watcher in watches.Fire(raw.Type, raw.Path)) dispatch.Writer.TryWrite(() => watcher.Callback(ev));
    }

    private async Task DropWatcherAsync(SessionMessage.DropWatcher drop)
    {
        watches.Remove(drop.Kind, drop.ServerPath, drop.Watcher);
        if (connection is null || watches.Paths(drop.Kind).Contains(drop.ServerPath)) return;
        var type = drop.Kind switch
        {
            WatchKind.Persistent => WatcherType.Persistent,
            WatchKind.PersistentRecursive => WatcherType.PersistentRecursive,
            WatchKind.Child => WatcherType.Children,
            _ => WatcherType.Data,
        };
        // The last local watcher is gone; stop the server sending events for it. The reply is not awaited.
        var call = new PendingCall<bool>(OpCode.RemoveWatches, new WatchesRequest(drop.ServerPath, type), null,
            static (_, ref _) => true, CancellationToken.None);
        await SendCallAsync(call).ConfigureAwait(false);
    }

    /// <summary>
    /// Re-registers every watch after a reconnect, relative to the last zxid seen, so the server fires at once
    /// for anything that changed while we were away. setWatches2 when persistent watches exist, else setWatches.
    /// </summary>
    private async Task<bool> SendSetWatchesAsync()
    {
        if (watches.IsEmpty) return true;
        bool v2 = watches.Paths(WatchKind.Persistent).Count > 0 || watches.Paths(WatchKind.PersistentRecursive).Count > 0;
        var lists = new List<string>[5];
        for (int i = 0; i < lists.Length; i++) lists[i] = [];
        int bytes = 0;
        async Task<bool> Flush()
        {
            if (lists.All(l => l.Count == 0)) return true;
            var request = new SetWatchesRequest(LastZxid, [.. lists[0]], [.. lists[1]], [.. lists[2]], [.. lists[3]], [.. lists[4]], v2);
            foreach (var l in lists) l.Clear();
            bytes = 0;
            return await SendAsync(PendingCall.BuildFrameWithXid(SetWatchesXid, v2 ? OpCode.SetWatches2 : OpCode.SetWatches, new Writable(request.Write)))
                .ConfigureAwait(false);
        }
        foreach (var kind in Enum.GetValues<WatchKind>())
        {
            foreach (var path in watches.Paths(kind).ToList())
            {
                int size = Encoding.UTF8.GetByteCount(path) + 4;
                if (bytes + size > SetWatchesBatchBytesMax && !await Flush().ConfigureAwait(false)) return false;
                lists[(int)kind].Add(path);
                bytes += size;
            }
        }
        return await Flush().ConfigureAwait(false);
    }
}

/// <summary>Adapts a record that is written but never read through the generic interface.</summary>
internal sealed class Writable(Action<JuteWriter> write) : IJuteWritable
{
    public void Write(JuteWriter writer) => write(writer);
}

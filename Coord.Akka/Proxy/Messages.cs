using Akka.Actor;
using Coord.Client;
using Coord.Protocol;

namespace Coord.Akka.Proxy;

// The client actor's protocol. Every request is answered to its sender with the reply named on it, or with
// Status.Failure(CoordException) (so Ask throws the exception: NoNodeException, BadVersionException, ...).
// Replies to one actor's requests arrive in the order the requests were sent (the session pipelines them).

/// <summary>A request to the client actor.</summary>
public interface ICoordRequest;

/// <summary>Creates a node; answered with <see cref="Created"/>.</summary>
/// <param name="Path">The node's path.</param>
/// <param name="Data">Its data (null = empty).</param>
/// <param name="Mode">Persistent, ephemeral (owned by the actor's session), sequential, container or TTL.</param>
/// <param name="Acl">The ACL; null = open.</param>
public sealed record Create(string Path, byte[]? Data, CreateMode Mode = CreateMode.Persistent, IReadOnlyList<Acl>? Acl = null) : ICoordRequest;

/// <summary>Answers <see cref="Create"/>.</summary>
/// <param name="Path">The created path (with a sequential suffix if asked).</param>
/// <param name="Stat">The new node's Stat.</param>
public sealed record Created(string Path, Stat Stat);

/// <summary>Reads a node; answered with <see cref="DataRead"/>.</summary>
/// <param name="Path">The node.</param>
/// <param name="Watcher">If set, gets one <see cref="WatchEvent"/> at the node's next change or deletion.</param>
public sealed record GetData(string Path, IActorRef? Watcher = null) : ICoordRequest;

/// <summary>Answers <see cref="GetData"/>.</summary>
/// <param name="Path">The node.</param>
/// <param name="Data">Its data.</param>
/// <param name="Stat">Its Stat.</param>
public sealed record DataRead(string Path, byte[] Data, Stat Stat);

/// <summary>Writes a node (compare-and-set with a version); answered with <see cref="DataWritten"/>.</summary>
/// <param name="Path">The node.</param>
/// <param name="Data">The new data.</param>
/// <param name="Version">The expected version; -1 = any.</param>
public sealed record SetData(string Path, byte[]? Data, int Version = -1) : ICoordRequest;

/// <summary>Answers <see cref="SetData"/>.</summary>
/// <param name="Path">The node.</param>
/// <param name="Stat">Its new Stat.</param>
public sealed record DataWritten(string Path, Stat Stat);

/// <summary>Deletes a node; answered with <see cref="Deleted"/>.</summary>
/// <param name="Path">The node.</param>
/// <param name="Version">The expected version; -1 = any.</param>
public sealed record Delete(string Path, int Version = -1) : ICoordRequest;

/// <summary>Answers <see cref="Delete"/>.</summary>
/// <param name="Path">The deleted node.</param>
public sealed record Deleted(string Path);

/// <summary>Asks whether a node exists; answered with <see cref="ExistsResult"/>.</summary>
/// <param name="Path">The node.</param>
/// <param name="Watcher">If set, gets one <see cref="WatchEvent"/> when the node is created, changed or deleted.</param>
public sealed record Exists(string Path, IActorRef? Watcher = null) : ICoordRequest;

/// <summary>Answers <see cref="Exists"/>.</summary>
/// <param name="Path">The node.</param>
/// <param name="Stat">Its Stat, or null when there is no such node.</param>
public sealed record ExistsResult(string Path, Stat? Stat);

/// <summary>Lists a node's children; answered with <see cref="ChildrenRead"/>.</summary>
/// <param name="Path">The node.</param>
/// <param name="Watcher">If set, gets one <see cref="WatchEvent"/> when a child is added or removed (or the node deleted).</param>
public sealed record GetChildren(string Path, IActorRef? Watcher = null) : ICoordRequest;

/// <summary>Answers <see cref="GetChildren"/>.</summary>
/// <param name="Path">The node.</param>
/// <param name="Children">Child names, unordered.</param>
/// <param name="Stat">The node's Stat.</param>
public sealed record ChildrenRead(string Path, IReadOnlyList<string> Children, Stat Stat);

/// <summary>One operation of a <see cref="Multi"/>.</summary>
public abstract record MultiOp
{
    private MultiOp()
    {
    }

    /// <summary>Create a node.</summary>
    /// <param name="Path">The node.</param>
    /// <param name="Data">Its data.</param>
    /// <param name="Mode">Its mode.</param>
    public sealed record CreateOp(string Path, byte[]? Data, CreateMode Mode = CreateMode.Persistent) : MultiOp;

    /// <summary>Delete a node.</summary>
    /// <param name="Path">The node.</param>
    /// <param name="Version">Expected version; -1 = any.</param>
    public sealed record DeleteOp(string Path, int Version = -1) : MultiOp;

    /// <summary>Write a node.</summary>
    /// <param name="Path">The node.</param>
    /// <param name="Data">New data.</param>
    /// <param name="Version">Expected version; -1 = any.</param>
    public sealed record SetDataOp(string Path, byte[]? Data, int Version = -1) : MultiOp;

    /// <summary>Fail the whole transaction unless the node has this version.</summary>
    /// <param name="Path">The node.</param>
    /// <param name="Version">Expected version.</param>
    public sealed record CheckOp(string Path, int Version) : MultiOp;
}

/// <summary>An atomic transaction (ZooKeeper's multi); answered with <see cref="MultiDone"/>, or with
/// Status.Failure(<see cref="TransactionFailedException"/>) if one operation failed (then none was applied).</summary>
/// <param name="Ops">The operations, applied all or none.</param>
public sealed record Multi(IReadOnlyList<MultiOp> Ops) : ICoordRequest;

/// <summary>Answers <see cref="Multi"/>.</summary>
/// <param name="Results">One result per operation.</param>
public sealed record MultiDone(IReadOnlyList<OpResult> Results);

/// <summary>Waits until the server the session uses has every write committed before it; answered with <see cref="Synced"/>.</summary>
/// <param name="Path">The path to sync.</param>
public sealed record Sync(string Path = "/") : ICoordRequest;

/// <summary>Answers <see cref="Sync"/>.</summary>
/// <param name="Path">The synced path.</param>
public sealed record Synced(string Path);

/// <summary>Adds a persistent (optionally recursive) watch whose events go to <paramref name="Subscriber"/> until removed;
/// answered with <see cref="WatchAdded"/>.</summary>
/// <param name="Path">The watched node.</param>
/// <param name="Mode">Persistent or persistent recursive.</param>
/// <param name="Subscriber">Gets a <see cref="WatchEvent"/> per event.</param>
public sealed record AddWatch(string Path, AddWatchMode Mode, IActorRef Subscriber) : ICoordRequest;

/// <summary>Answers <see cref="AddWatch"/>.</summary>
/// <param name="Path">The watched node.</param>
public sealed record WatchAdded(string Path);

/// <summary>Removes the session's watches of a kind on a node; answered with <see cref="WatchesRemoved"/>.</summary>
/// <param name="Path">The node.</param>
/// <param name="Type">Which watches.</param>
public sealed record RemoveWatches(string Path, WatcherType Type) : ICoordRequest;

/// <summary>Answers <see cref="RemoveWatches"/>.</summary>
/// <param name="Path">The node.</param>
public sealed record WatchesRemoved(string Path);

/// <summary>A watch fired (delivered to the watcher or subscriber named on the request).</summary>
/// <param name="Type">What happened to the node.</param>
/// <param name="State">The session state when it fired (Expired or Closed when the session ended the watch).</param>
/// <param name="Path">The node.</param>
public sealed record WatchEvent(EventType Type, KeeperState State, string Path);

/// <summary>Subscribes an actor to session events: it gets <see cref="SessionOpened"/> now if a session is open, then every
/// <see cref="SessionStateChanged"/> and <see cref="SessionOpened"/>, until it unsubscribes or terminates.</summary>
/// <param name="Subscriber">The actor to tell.</param>
public sealed record SubscribeSession(IActorRef Subscriber);

/// <summary>Ends a <see cref="SubscribeSession"/>.</summary>
/// <param name="Subscriber">The actor.</param>
public sealed record UnsubscribeSession(IActorRef Subscriber);

/// <summary>A session was opened: the first one, or a new one after an expiry (ephemerals and watches of the old
/// one are gone).</summary>
/// <param name="SessionId">The new session's id.</param>
/// <param name="Timeout">Its negotiated timeout.</param>
public sealed record SessionOpened(long SessionId, TimeSpan Timeout);

/// <summary>The session's state changed: Disconnected (reconnecting; the session may live on), Connected again,
/// Expired (terminal: the actor then opens a new session or stops, per <c>coord.akka.proxy.on-expiry</c>), Closed.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Previous">The state before.</param>
/// <param name="Current">The new state.</param>
public sealed record SessionStateChanged(long SessionId, ConnectionState Previous, ConnectionState Current);

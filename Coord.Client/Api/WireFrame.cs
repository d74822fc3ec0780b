using Coord.Protocol;

namespace Coord.Client;

/// <summary>What a received frame was, for <see cref="CoordClientOptions.WireObserver"/>.</summary>
public enum WireFrameKind
{
    /// <summary>A reply to a request (xid &gt; 0), or to a ping (-2), auth (-4) or setWatches (-8).</summary>
    Reply,

    /// <summary>A watch notification (xid -1).</summary>
    Notification,
}

/// <summary>
/// One frame the session received, as <see cref="CoordClientOptions.WireObserver"/> sees it: the reply header's xid,
/// zxid and error code, and for a reply to a request the call's opcode and whether its caller is still waiting; for a
/// notification the event (path with the chroot removed).
/// </summary>
/// <param name="Kind">Reply or notification.</param>
/// <param name="Xid">The reply header's xid: the request's xid, or -1 (notification), -2 (ping), -4 (auth), -8 (setWatches).</param>
/// <param name="Zxid">The reply header's zxid. For a notification this is the zxid of the change that fired it where the
/// server sends one (Coord does; Apache ZooKeeper before 3.9 sends -1).</param>
/// <param name="Err">The reply header's error code.</param>
/// <param name="Op">For a reply to a request: the request's opcode; otherwise null.</param>
/// <param name="Awaited">For a reply to a request: true if the call's task is about to complete with this reply, false if
/// the caller stopped waiting (cancelled) and the reply is dropped.</param>
/// <param name="Event">For a notification: the event; otherwise null.</param>
public readonly record struct WireFrame(WireFrameKind Kind, int Xid, long Zxid, ErrorCode Err, OpCode? Op, bool Awaited, WatchedEvent? Event);

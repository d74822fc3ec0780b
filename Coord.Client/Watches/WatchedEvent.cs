using Coord.Protocol;

namespace Coord.Client;

/// <summary>
/// A watch notification. <see cref="Type"/> is the node event (<see cref="EventType.None"/> for a change of the
/// session state alone), <see cref="State"/> the session state when it fired, and <see cref="Path"/> the node's
/// path with the chroot removed (empty for state-only events).
/// </summary>
/// <param name="Type">What happened to the node.</param>
/// <param name="State">The session state.</param>
/// <param name="Path">The node's path, chroot removed.</param>
public sealed record WatchedEvent(EventType Type, KeeperState State, string Path)
{
    /// <inheritdoc />
    public override string ToString() => $"{Type} {Path} ({State})";
}

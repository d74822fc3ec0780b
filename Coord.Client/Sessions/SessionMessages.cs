namespace Coord.Client.Sessions;

/// <summary>What the session loop's mailbox carries. Messages tagged with a connection generation are dropped
/// when that connection is no longer the current one.</summary>
internal abstract record SessionMessage
{
    /// <summary>A caller's request.</summary>
    public sealed record Submit(PendingCall Call) : SessionMessage;

    /// <summary>addAuth: kept for re-sending after every reconnect; the entry completes on the first reply.</summary>
    public sealed record AddAuth(AuthEntry Entry) : SessionMessage;

    /// <summary>A stream or handle stopped watching: drop the local watcher, and the server's watch if it was the last.</summary>
    public sealed record DropWatcher(Watches.WatchKind Kind, string ServerPath, Watches.Watcher Watcher) : SessionMessage;

    /// <summary>A frame from the server.</summary>
    public sealed record Received(int Generation, byte[] Payload) : SessionMessage;

    /// <summary>The reader saw the connection end.</summary>
    public sealed record Lost(int Generation, Exception Error) : SessionMessage;

    /// <summary>Timer: send a ping if idle, declare the connection dead if silent too long.</summary>
    public sealed record Tick(int Generation) : SessionMessage;

    /// <summary>Close the session (closeSession), then the socket.</summary>
    public sealed record Close : SessionMessage;

    /// <summary>The closeSession reply did not come in time.</summary>
    public sealed record CloseTimedOut : SessionMessage;
}

/// <summary>Credentials sent with addAuth, re-sent after each reconnect.</summary>
internal sealed class AuthEntry(string scheme, byte[] auth)
{
    public string Scheme { get; } = scheme;
    public byte[] Auth { get; } = auth;
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

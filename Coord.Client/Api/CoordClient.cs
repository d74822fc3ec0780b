using Coord.Client.Connection;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Client.Sessions;
using Coord.Client.Watches;

namespace Coord.Client;

/// <summary>
/// An async ZooKeeper-protocol client for Coord and Apache ZooKeeper. One instance is one session: it reconnects
/// on its own (to any host of the connect string) and keeps the session, its ephemerals and its watches as long
/// as the server does. Calls may be issued concurrently; they are pipelined and complete in the order they were
/// issued. When the session expires the client is dead: every call fails with <see cref="SessionExpiredException"/>
/// and a new client must be created.
/// </summary>
/// <remarks>
/// Watches come in two shapes. Callbacks: the <c>watcher</c> argument of <see cref="CoordClient.ExistsAsync"/>,
/// <see cref="CoordClient.GetDataAsync"/> and <see cref="CoordClient.GetChildrenAsync"/> (one-shot, as in ZooKeeper)
/// and <see cref="CoordClient.AddWatchAsync"/> (persistent). Streams: <see cref="CoordClient.WatchAsync"/> (every event
/// under a path, from a persistent watch) and <see cref="CoordClient.WatchDataAsync"/> (each new value of a node).
/// All survive reconnects (re-registered with setWatches from the last zxid seen): a one-shot watch whose node
/// changed while the client was disconnected fires on reconnect, but a persistent watch gets no replay of the
/// individual changes made meanwhile, as in ZooKeeper; re-read after <see cref="ConnectionState.Connected"/> if every
/// change matters (the NodeCache and TreeCache recipes do). When the session expires, callbacks get an event with
/// <see cref="KeeperState.Expired"/> and streams throw <see cref="SessionExpiredException"/>; when the client is
/// disposed, callbacks get <see cref="KeeperState.Closed"/> and streams end. A connection loss alone is not
/// delivered to watchers (they stay armed and are replayed): observe it with <see cref="CoordClient.StateChanged"/>.
/// </remarks>
/// <example>
/// <code>
/// await using var client = await CoordClient.ConnectAsync("127.0.0.1:2181/app");
/// await client.CreateAsync("/config", "v1"u8.ToArray());
/// var (data, stat) = await client.GetDataAsync("/config");
/// </code>
/// </example>
public sealed partial class CoordClient : IAsyncDisposable
{
    private readonly SessionActor session;
    private readonly ConnectString connectString;
    private readonly CoordClientOptions options;
    private int disposed;

    private CoordClient(ConnectString connectString, CoordClientOptions options)
    {
        this.connectString = connectString;
        this.options = options;
        session = new SessionActor(connectString, options) { StateChanged = change => StateChanged?.Invoke(this, change) };
    }

    /// <summary>
    /// Connects to one of the hosts of <paramref name="connectString"/> (<c>host1:port1,host2:port2/chroot</c>, tried
    /// in random order) and creates a session. Returns once the session is established.
    /// </summary>
    /// <exception cref="ConnectionLossException">No server answered within <see cref="CoordClientOptions.InitialConnectTimeout"/>.</exception>
    public static async Task<CoordClient> ConnectAsync(string connectString, CoordClientOptions? options = null, CancellationToken ct = default)
    {
        var client = new CoordClient(ConnectString.Parse(connectString), options ?? new CoordClientOptions());
        try
        {
            await client.session.FirstConnected.WaitAsync(client.options.InitialConnectTimeout, ct).ConfigureAwait(false);
            return client;
        }
        catch (TimeoutException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new ConnectionLossException(null);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Raised on every change of <see cref="State"/> after <see cref="ConnectAsync"/> returned, in order, on the
    /// client's event dispatcher (the same one that runs watch callbacks; keep handlers short). The first connection
    /// is not reported: it is what ConnectAsync returning means.</summary>
    public event EventHandler<ConnectionStateChange>? StateChanged;

    /// <summary>The session's current state.</summary>
    public ConnectionState State => session.State;

    /// <summary>The session id the server assigned (0 before the first connection).</summary>
    public long SessionId => session.SessionId;

    /// <summary>The session timeout the server granted.</summary>
    public TimeSpan SessionTimeout => session.NegotiatedTimeout;

    /// <summary>The highest zxid seen in any reply; sent when reconnecting so no server with older state is used.</summary>
    public long LastZxid => session.LastZxid;

    /// <summary>The chroot every path is relative to, or null.</summary>
    public string? Chroot => connectString.Chroot;

    /// <summary>Closes the session (its ephemerals are deleted at once) and the connection. Pending calls fail
    /// with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        await session.DisposeAsync().ConfigureAwait(false);
    }

    internal string ToServer(string path, bool sequential = false)
    {
        Paths.Validate(path, nameof(path), sequential);
        return connectString.ToServer(path);
    }

    internal string FromServer(string path) => connectString.FromServer(path);

    /// <summary>Sends one request and awaits its reply. The parser runs in the session loop.</summary>
    internal Task<T> CallAsync<T>(OpCode op, IJuteWritable? body, string? path, ReplyParser<T> parser,
        CancellationToken ct, Action<ErrorCode>? onReplyInLoop = null)
    {
        ct.ThrowIfCancellationRequested();
        var call = new PendingCall<T>(op, body, path, parser, ct) { OnReplyInLoop = onReplyInLoop };
        session.Submit(call);
        return call.Task;
    }

    /// <summary>A parser that throws the mapped exception for any error and otherwise reads the body.</summary>
    internal static ReplyParser<T> OkOr<T>(string? path, ReplyParser<T> read) =>
        (ErrorCode err, ref JuteReader body) => err == ErrorCode.Ok ? read(err, ref body) : throw CoordException.Create(err, path);

    internal Task<T> RetryAsync<T>(Func<Task<T>> attempt, CancellationToken ct) => options.RetryPolicy.RunAsync(attempt, ct);
}

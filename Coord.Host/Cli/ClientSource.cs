using System.CommandLine;
using Coord.Client;

namespace Coord.Host.Cli;

/// <summary>Where a client command gets its session: a fresh one per command (<c>coord get ...</c>, closed when the
/// command ends, so its ephemerals go with it) or the shell's, kept across commands with its auth.</summary>
internal abstract class ClientSource
{
    public const string DefaultServer = "127.0.0.1:2181";

    /// <summary>The per-command <c>--server</c> option, or null when the source decides (the shell).</summary>
    public abstract Option<string>? ServerOption { get; }

    public abstract Task<CoordClient> AcquireAsync(ParseResult parse, CancellationToken ct);

    public abstract ValueTask ReleaseAsync(CoordClient client);

    /// <summary>Adds credentials: in the shell to the session the following commands use; alone only checked.</summary>
    public abstract Task AddAuthAsync(ParseResult parse, string scheme, string auth, CancellationToken ct);

    internal static CoordClientOptions Options(TimeSpan connectTimeout) => new() { InitialConnectTimeout = connectTimeout };

    internal static async Task<CoordClient> ConnectAsync(string server, TimeSpan connectTimeout, CancellationToken ct)
    {
        try
        {
            return await CoordClient.ConnectAsync(server, Options(connectTimeout), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ConnectionLossException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new ConnectFailedException(server);
        }
    }
}

/// <summary>No server of the connect string answered.</summary>
internal sealed class ConnectFailedException(string server) : Exception($"Connection to {server} failed");

/// <summary>One session per command, to <c>--server</c>.</summary>
internal sealed class PerCommandSource : ClientSource
{
    private readonly Option<double> connectTimeout = ConnectTimeoutOption();

    public override Option<string> ServerOption { get; } = ServerOptionFor();

    public Option<double> ConnectTimeout => connectTimeout;

    internal static Option<string> ServerOptionFor() => new("--server")
    {
        Description = "host:port[,host:port...][/chroot]",
        DefaultValueFactory = _ => DefaultServer,
    };

    internal static Option<double> ConnectTimeoutOption() => new("--connect-timeout")
    {
        Description = "seconds to wait for the first connection",
        DefaultValueFactory = _ => 10,
    };

    public override Task<CoordClient> AcquireAsync(ParseResult parse, CancellationToken ct) =>
        ConnectAsync(parse.GetRequiredValue(ServerOption), TimeSpan.FromSeconds(parse.GetValue(connectTimeout)), ct);

    public override ValueTask ReleaseAsync(CoordClient client) => client.DisposeAsync();

    public override async Task AddAuthAsync(ParseResult parse, string scheme, string auth, CancellationToken ct)
    {
        var client = await AcquireAsync(parse, ct).ConfigureAwait(false);
        try
        {
            await client.AddAuthAsync(scheme, auth, ct).ConfigureAwait(false);
            await client.SyncAsync("/", ct).ConfigureAwait(false); // a rejected auth fails the session before this returns
        }
        finally
        {
            await ReleaseAsync(client).ConfigureAwait(false);
        }
    }
}

/// <summary>The shell's session: connected on first use, kept across commands; <c>connect</c> replaces it.</summary>
internal sealed class ShellSource(string server, TimeSpan connectTimeout) : ClientSource, IAsyncDisposable
{
    private readonly List<(string Scheme, string Auth)> auths = [];
    private CoordClient? client;

    public string Server { get; private set; } = server;

    public override Option<string>? ServerOption => null;

    public override async Task<CoordClient> AcquireAsync(ParseResult parse, CancellationToken ct)
    {
        if (client is { State: not ConnectionState.Expired and not ConnectionState.Closed }) return client;
        if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
        client = null;
        var fresh = await ConnectAsync(Server, connectTimeout, ct).ConfigureAwait(false);
        try
        {
            foreach (var (scheme, auth) in auths) await fresh.AddAuthAsync(scheme, auth, ct).ConfigureAwait(false);
        }
        catch
        {
            await fresh.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return client = fresh;
    }

    public override ValueTask ReleaseAsync(CoordClient client) => ValueTask.CompletedTask;

    public override async Task AddAuthAsync(ParseResult parse, string scheme, string auth, CancellationToken ct)
    {
        var session = await AcquireAsync(parse, ct).ConfigureAwait(false);
        await session.AddAuthAsync(scheme, auth, ct).ConfigureAwait(false);
        auths.Add((scheme, auth));
    }

    /// <summary><c>connect host:port</c>: closes the current session (auth is not carried over) and opens one to the new server.</summary>
    public async Task ConnectAsync(string newServer, CancellationToken ct)
    {
        await DisposeAsync().ConfigureAwait(false);
        auths.Clear();
        Server = newServer;
        client = await ConnectAsync(newServer, connectTimeout, ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
        client = null;
    }
}

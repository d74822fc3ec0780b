using System.Text;
using Coord.Actors.Journal;
using Coord.Actors.Settings;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Host.Specs.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Host.Specs.Durability;

/// <summary>
/// A data folder that outlives the servers started on it, so a spec can stop a server (cleanly, or after a
/// simulated crash) and start a new one on the same files. Deleted on dispose.
/// </summary>
internal sealed class DataDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("coord-durability-spec-").FullName;

    public string Snapshots => System.IO.Path.Combine(Path, "snapshots");

    public static CoordSettings Settings(string dir, Func<CoordSettings, CoordSettings>? configure = null)
    {
        var d = CoordSettings.Default;
        var settings = d with { DataDir = dir, Client = d.Client with { Port = 0 }, Admin = d.Admin with { Enabled = false } };
        return configure is null ? settings : configure(settings);
    }

    /// <summary>Starts a server on this folder; <paramref name="openJournal"/> injects a journal (faults).</summary>
    public async Task<CoordServer> StartAsync(Func<CoordSettings, CoordSettings>? configure = null,
        Func<string, ILogger, IJournal>? openJournal = null)
    {
        var server = new CoordServer(Settings(Path, configure), NullLoggerFactory.Instance, openJournal);
        try
        {
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Request/response calls on a <see cref="WireClient"/>: one request at a time, watch events and
/// pings skipped (or collected by the caller through <see cref="ReadUntilReplyAsync"/>).</summary>
internal static class WireCalls
{
    public static async Task<(ErrorCode Err, byte[] Body)> CallAsync(this WireClient c, OpCode op, IJuteWritable body)
    {
        int xid = await c.SendAsync(op, body);
        return await c.ReadUntilReplyAsync(xid);
    }

    public static async Task<(ErrorCode Err, byte[] Body)> ReadUntilReplyAsync(this WireClient c, int xid, List<WatcherEvent>? events = null)
    {
        while (true)
        {
            var reply = await c.ReadReplyAsync() ?? throw new IOException($"connection closed before the reply to xid {xid}");
            if (reply.Header.Xid == xid) return (reply.Header.Err, reply.Body);
            if (reply.Header.Xid == Xids.Notification) events?.Add(ReadEvent(reply.Body));
        }
    }

    public static WatcherEvent ReadEvent(byte[] body)
    {
        var r = new JuteReader(body);
        return WatcherEvent.Read(ref r);
    }

    public static async Task CreateAsync(this WireClient c, string path, string data, CreateMode mode = CreateMode.Persistent)
    {
        var (err, _) = await c.CallAsync(OpCode.Create, new CreateRequest(path, Encoding.UTF8.GetBytes(data), Acl.OpenAclUnsafe, (int)mode));
        Assert.True(err == ErrorCode.Ok, $"create {path}: {err}");
    }

    public static async Task SetAsync(this WireClient c, string path, string data, int version = -1)
    {
        var (err, _) = await c.CallAsync(OpCode.SetData, new SetDataRequest(path, Encoding.UTF8.GetBytes(data), version));
        Assert.True(err == ErrorCode.Ok, $"setData {path}: {err}");
    }

    /// <summary>(data, Stat) of a node, or null when it does not exist.</summary>
    public static async Task<(string Data, Stat Stat)?> GetAsync(this WireClient c, string path)
    {
        var (err, body) = await c.CallAsync(OpCode.GetData, new PathWatchRequest(path, false));
        if (err == ErrorCode.NoNode) return null;
        Assert.True(err == ErrorCode.Ok, $"getData {path}: {err}");
        return Decode(body);
    }

    private static (string, Stat) Decode(byte[] body)
    {
        var r = new JuteReader(body);
        var reply = GetDataResponse.Read(ref r);
        return (Encoding.UTF8.GetString(reply.Data ?? []), reply.Stat);
    }

    public static async Task<IReadOnlyList<string>> ChildrenAsync(this WireClient c, string path)
    {
        var (err, body) = await c.CallAsync(OpCode.GetChildren, new PathWatchRequest(path, false));
        Assert.True(err == ErrorCode.Ok, $"getChildren {path}: {err}");
        var r = new JuteReader(body);
        return GetChildrenResponse.Read(ref r).Children;
    }

    /// <summary>Every node of the tree with its data and full Stat, one line each, in path order: two dumps
    /// are equal exactly when the trees are.</summary>
    public static async Task<IReadOnlyList<string>> DumpAsync(this WireClient c)
    {
        var lines = new List<string>();
        var pending = new Stack<string>([ "/" ]);
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            var node = await c.GetAsync(path) ?? throw new InvalidOperationException($"{path} vanished during the dump");
            var s = node.Stat;
            lines.Add($"{path} '{node.Data}' czxid={s.Czxid:x} mzxid={s.Mzxid:x} pzxid={s.Pzxid:x} ctime={s.Ctime} mtime={s.Mtime} " +
                $"v={s.Version} cv={s.Cversion} av={s.Aversion} owner={s.EphemeralOwner:x} len={s.DataLength} kids={s.NumChildren}");
            foreach (var child in await c.ChildrenAsync(path)) pending.Push(path == "/" ? "/" + child : path + "/" + child);
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>Reads until the server closes the connection; returns the replies it sent first (a reset
    /// counts as closed). Bounded by the client's read timeout.</summary>
    public static async Task<List<ReplyHeader>> ReadUntilClosedAsync(this WireClient c)
    {
        var replies = new List<ReplyHeader>();
        try
        {
            while (await c.ReadReplyAsync() is { } reply) replies.Add(reply.Header);
        }
        catch (IOException)
        {
        }
        return replies;
    }
}

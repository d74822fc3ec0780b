using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Coord.Interop.Specs.Fuzz;

/// <summary>
/// A minimal, well-behaved ZooKeeper client written straight on the wire (no Coord code): handshake,
/// digest auth, create, getData, ping, close. Every read has a timeout. Used by the fuzz specs as the
/// "honest client" that must keep working while garbage flows on other connections.
/// </summary>
public sealed class RawZkClient : IAsyncDisposable
{
    public const int CreateOp = 1;
    public const int GetDataOp = 4;
    public const int PingOp = 11;
    public const int AuthOp = 100;
    public const int CloseOp = -11;
    public const int AllPerms = 31;
    public const int ReadPerm = 1;

    private readonly TcpClient tcp;
    private NetworkStream stream = null!;
    private readonly TimeSpan timeout;
    private int xid;

    private RawZkClient(TcpClient tcp, TimeSpan timeout)
    {
        this.tcp = tcp;
        this.timeout = timeout;
    }

    public long SessionId { get; private set; }
    public int NegotiatedTimeoutMs { get; private set; }

    /// <summary>This side's address, as the server's cons prints the connection ("/127.0.0.1:PORT").</summary>
    public System.Net.IPEndPoint LocalEndPoint => (System.Net.IPEndPoint)tcp.Client.LocalEndPoint!;

    public static async Task<RawZkClient> ConnectAsync(string host, int port, TimeSpan timeout, int sessionTimeoutMs = 30_000)
    {
        var tcp = new TcpClient { NoDelay = true };
        var client = new RawZkClient(tcp, timeout);
        try
        {
            using (var cts = new CancellationTokenSource(timeout))
            {
                await tcp.ConnectAsync(host, port, cts.Token);
            }

            client.stream = tcp.GetStream();

            var w = new Jute();
            w.Int(0).Long(0).Int(sessionTimeoutMs).Long(0).Buffer(new byte[16]).Bool(false);
            await client.WriteAsync(w.Frame());
            var reply = await client.ReadFrameAsync();
            client.NegotiatedTimeoutMs = BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(4));
            client.SessionId = BinaryPrimitives.ReadInt64BigEndian(reply.AsSpan(8));
            if (client.NegotiatedTimeoutMs <= 0)
            {
                throw new InvalidOperationException($"session refused (timeOut {client.NegotiatedTimeoutMs})");
            }

            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>"user:base64(sha1(user:password))", the id of a digest ACL.</summary>
    public static string DigestId(string user, string password) =>
        user + ":" + Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes(user + ":" + password)));

    public async Task AuthDigestAsync(string user, string password)
    {
        var w = new Jute().Int(-4).Int(AuthOp).Int(0).String("digest").Buffer(Encoding.UTF8.GetBytes(user + ":" + password));
        var (err, _) = await CallAsync(w, -4);
        if (err != 0)
        {
            throw new InvalidOperationException($"auth failed: {err}");
        }
    }

    /// <summary>create; returns the error code (0 = created).</summary>
    public async Task<int> CreateAsync(string path, byte[] data, IReadOnlyList<(int Perms, string Scheme, string Id)> acl, int flags = 0)
    {
        var w = new Jute().Int(NextXid()).Int(CreateOp).String(path).Buffer(data).Int(acl.Count);
        foreach (var (perms, scheme, id) in acl)
        {
            w.Int(perms).String(scheme).String(id);
        }

        w.Int(flags);
        return (await CallAsync(w)).Err;
    }

    /// <summary>getData without watch: (err, data, Stat.version).</summary>
    public async Task<(int Err, byte[]? Data, int Version)> GetDataAsync(string path)
    {
        var (err, body) = await CallAsync(new Jute().Int(NextXid()).Int(GetDataOp).String(path).Bool(false));
        if (err != 0)
        {
            return (err, null, -1);
        }

        var len = BinaryPrimitives.ReadInt32BigEndian(body);
        var data = len < 0 ? null : body.AsSpan(4, len).ToArray();
        var statAt = 4 + Math.Max(0, len);
        var version = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(statAt + 8 + 8 + 8 + 8));
        return (0, data, version);
    }

    public async Task PingAsync()
    {
        var (err, _) = await CallAsync(new Jute().Int(-2).Int(PingOp), -2);
        if (err != 0)
        {
            throw new InvalidOperationException($"ping failed: {err}");
        }
    }

    public async Task CloseSessionAsync() => await CallAsync(new Jute().Int(NextXid()).Int(CloseOp));

    private int NextXid() => ++xid;

    /// <summary>
    /// Sends one request built by the caller (header included: any xid, any opcode) and returns the next reply's
    /// header that is not a watch event, or null when the server closes the connection instead.
    /// </summary>
    public async Task<(int Xid, long Zxid, int Err)?> RequestAsync(Jute request)
    {
        await WriteAsync(request.Frame());
        while (true)
        {
            byte[] reply;
            try
            {
                reply = await ReadFrameAsync();
            }
            catch (EndOfStreamException)
            {
                return null;
            }

            var replyXid = BinaryPrimitives.ReadInt32BigEndian(reply);
            if (replyXid != -1)
            {
                return (replyXid, BinaryPrimitives.ReadInt64BigEndian(reply.AsSpan(4)), BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(12)));
            }
        }
    }

    /// <summary>True once the server has closed the connection (reads to end of stream, within the timeout).</summary>
    public async Task<bool> ClosedByServerAsync()
    {
        try
        {
            await ReadFrameAsync();
            return false;
        }
        catch (EndOfStreamException)
        {
            return true;
        }
        catch (IOException)
        {
            return true; // reset by the peer
        }
    }

    /// <summary>Sends a request and returns (err, body) of the reply with the same xid; watch events
    /// (xid -1) are skipped.</summary>
    private async Task<(int Err, byte[] Body)> CallAsync(Jute request, int? expectXid = null)
    {
        var frame = request.Frame();
        var sentXid = expectXid ?? BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
        await WriteAsync(frame);
        while (true)
        {
            var reply = await ReadFrameAsync();
            var replyXid = BinaryPrimitives.ReadInt32BigEndian(reply);
            if (replyXid == -1)
            {
                continue;
            }

            if (replyXid != sentXid)
            {
                throw new InvalidOperationException($"reply xid {replyXid}, expected {sentXid}");
            }

            return (BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(12)), reply[16..]);
        }
    }

    private async Task WriteAsync(byte[] frame)
    {
        using var cts = new CancellationTokenSource(timeout);
        await stream.WriteAsync(frame, cts.Token);
    }

    private async Task<byte[]> ReadFrameAsync()
    {
        using var cts = new CancellationTokenSource(timeout);
        var head = new byte[4];
        await stream.ReadExactlyAsync(head, cts.Token);
        var length = BinaryPrimitives.ReadInt32BigEndian(head);
        if (length is < 0 or > 4 * 1024 * 1024)
        {
            throw new InvalidOperationException($"implausible reply length {length}");
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cts.Token);
        return body;
    }

    public ValueTask DisposeAsync()
    {
        tcp.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A tiny jute writer; <see cref="Frame"/> prepends the length.</summary>
    public sealed class Jute
    {
        private readonly MemoryStream ms = new();

        public Jute Int(int v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(b, v);
            ms.Write(b);
            return this;
        }

        public Jute Long(long v)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(b, v);
            ms.Write(b);
            return this;
        }

        public Jute Bool(bool v)
        {
            ms.WriteByte(v ? (byte)1 : (byte)0);
            return this;
        }

        public Jute Buffer(byte[]? v)
        {
            if (v is null)
            {
                return Int(-1);
            }

            Int(v.Length);
            ms.Write(v);
            return this;
        }

        public Jute String(string v) => Buffer(Encoding.UTF8.GetBytes(v));

        public byte[] Frame()
        {
            var body = ms.ToArray();
            var frame = new byte[4 + body.Length];
            BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
            body.CopyTo(frame, 4);
            return frame;
        }
    }
}

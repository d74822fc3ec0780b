using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Coord.Interop.Specs.Fuzz;

/// <summary>
/// A TCP proxy on 127.0.0.1:(free port) in front of a ZooKeeper-compatible server. It forwards bytes both
/// ways unchanged and records every client→server frame (4-byte big-endian length + payload, the prefix
/// included) per connection. The first frame of a connection is the ConnectRequest. A connection whose
/// first four bytes are not a plausible length (a four-letter word) is forwarded but not recorded.
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    /// <summary>Frames larger than this are forwarded but not recorded (the corpus stays small).</summary>
    public const int RecordedFrameBytesMax = 64 * 1024;

    private readonly TcpListener listener;
    private readonly string targetHost;
    private readonly int targetPort;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentBag<Task> pumps = [];
    private readonly List<RecordedConnection> connections = [];
    private readonly Lock gate = new();
    private readonly Task acceptLoop;
    private int nextId;

    public RecordingProxy(string targetHost, int targetPort)
    {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        acceptLoop = AcceptLoop();
    }

    public int Port { get; }
    public string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>Connections seen so far, in accept order, each with the frames recorded so far.</summary>
    public IReadOnlyList<RecordedConnection> Connections
    {
        get
        {
            lock (gate)
            {
                return [.. connections];
            }
        }
    }

    private async Task AcceptLoop()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }

            var recorded = new RecordedConnection(Interlocked.Increment(ref nextId));
            lock (gate)
            {
                connections.Add(recorded);
            }

            pumps.Add(Serve(client, recorded));
        }
    }

    private async Task Serve(Socket client, RecordedConnection recorded)
    {
        using var clientSocket = client;
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(targetHost, targetPort, stop.Token);
        }
        catch (Exception)
        {
            return;
        }

        var up = Pump(clientSocket, server, recorded);
        var down = Pump(server, clientSocket, null);
        await Task.WhenAny(up, down);
        // One side finished: let the other drain briefly, then close both.
        try
        {
            server.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }

        try
        {
            await Task.WhenAll(up, down).WaitAsync(TimeSpan.FromSeconds(2), stop.Token);
        }
        catch (Exception)
        {
            // the other direction did not finish in time: the sockets are closed by the usings
        }
    }

    private async Task Pump(Socket from, Socket to, RecordedConnection? recorder)
    {
        var buffer = new byte[64 * 1024];
        var parser = recorder is null ? null : new FrameSplitter(recorder);
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                if (n == 0)
                {
                    break;
                }

                parser?.Feed(buffer.AsSpan(0, n));
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stop.Token);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
            // a reset or our own shutdown: the connection is over
        }
    }

    private int disposed;

    /// <summary>Stops accepting, closes every proxied connection and waits for the pumps. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        await stop.CancelAsync();
        listener.Stop();
        await acceptLoop;
        await Task.WhenAll(pumps);
        stop.Dispose();
    }

    /// <summary>Cuts a client→server byte stream into frames.</summary>
    private sealed class FrameSplitter(RecordedConnection into)
    {
        private readonly List<byte> pending = [];
        private bool passthrough;

        public void Feed(ReadOnlySpan<byte> bytes)
        {
            if (passthrough)
            {
                return;
            }

            pending.AddRange(bytes);
            Span<byte> head = stackalloc byte[4];
            while (pending.Count >= 4)
            {
                for (var i = 0; i < 4; i++)
                {
                    head[i] = pending[i];
                }

                var length = BinaryPrimitives.ReadInt32BigEndian(head);
                if (length < 0 || length > 16 * 1024 * 1024)
                {
                    passthrough = true; // four-letter word or garbage: not a framed client
                    pending.Clear();
                    return;
                }

                if (pending.Count < 4 + length)
                {
                    return;
                }

                if (length <= RecordedFrameBytesMax)
                {
                    into.Add([.. pending.GetRange(0, 4 + length)]);
                }

                pending.RemoveRange(0, 4 + length);
            }
        }
    }
}

/// <summary>The client→server frames of one proxied connection (each frame includes its length prefix).</summary>
public sealed class RecordedConnection(int id)
{
    private readonly List<byte[]> frames = [];

    public int Id { get; } = id;

    public IReadOnlyList<byte[]> Frames
    {
        get
        {
            lock (frames)
            {
                return [.. frames];
            }
        }
    }

    internal void Add(byte[] frame)
    {
        lock (frames)
        {
            frames.Add(frame);
        }
    }
}

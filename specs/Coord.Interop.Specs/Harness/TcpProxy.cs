using System.Net;
using System.Net.Sockets;

namespace Coord.Interop.Specs.Harness;

/// <summary>
/// A loopback TCP proxy in front of a server, so a test can cut a client's connection without ending
/// its session: <see cref="DropAll"/> closes every proxied connection, and while paused new
/// connections are closed at once (the client keeps retrying until <see cref="Resume"/>).
/// <see cref="Retarget"/> points new connections at another server (one connect string across a restart on
/// another port); <see cref="SwallowReplies"/> forwards requests but discards the server's bytes, so a
/// request is applied while its reply is lost, as when a connection breaks at the wrong moment.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private string upstreamHost;
    private int upstreamPort;
    private volatile bool swallowReplies;
    private readonly CancellationTokenSource stop = new();
    private readonly List<Socket> open = [];
    private readonly Lock gate = new();
    private readonly Task acceptLoop;
    private bool paused;

    public TcpProxy(string upstreamHost, int upstreamPort)
    {
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        listener.Start();
        acceptLoop = AcceptLoop();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;
    public string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>While true, bytes from the server are read and discarded.</summary>
    public bool SwallowReplies
    {
        get => swallowReplies;
        set => swallowReplies = value;
    }

    /// <summary>New connections go to this server; open ones stay where they are.</summary>
    public void Retarget(string host, int port)
    {
        lock (gate)
        {
            upstreamHost = host;
            upstreamPort = port;
        }
    }

    /// <summary>Connections accepted so far (proxied or refused).</summary>
    public int Accepted { get; private set; }

    public void Pause()
    {
        lock (gate)
        {
            paused = true;
        }
    }

    public void Resume()
    {
        lock (gate)
        {
            paused = false;
        }
    }

    public void DropAll()
    {
        lock (gate)
        {
            foreach (var socket in open)
            {
                try
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (SocketException)
                {
                }

                socket.Close();
            }

            open.Clear();
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

            bool refuse;
            lock (gate)
            {
                Accepted++;
                refuse = paused;
            }

            if (refuse)
            {
                client.Close();
                continue;
            }

            _ = Relay(client);
        }
    }

    private async Task Relay(Socket client)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        string host;
        int port;
        lock (gate)
        {
            host = upstreamHost;
            port = upstreamPort;
        }

        try
        {
            await upstream.ConnectAsync(host, port, stop.Token);
            lock (gate)
            {
                open.Add(client);
                open.Add(upstream);
            }

            await Task.WhenAny(Pipe(client, upstream, replies: false), Pipe(upstream, client, replies: true));
        }
        catch (Exception)
        {
            // a dropped or refused connection ends the relay
        }
        finally
        {
            lock (gate)
            {
                open.Remove(client);
                open.Remove(upstream);
            }

            client.Close();
            upstream.Close();
        }
    }

    private async Task Pipe(Socket from, Socket to, bool replies)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var n = await from.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
            if (n == 0)
            {
                return;
            }

            if (replies && swallowReplies)
            {
                continue;
            }

            await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        DropAll();
        await acceptLoop;
        stop.Dispose();
    }
}

using System.Net;
using System.Net.Sockets;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary>
/// A loopback proxy that can swallow the server's replies while still forwarding requests, so a spec can make a
/// request be applied on the server and its reply be lost, as when a connection breaks at the wrong moment.
/// <see cref="DropAll"/> then closes the connection and the client reconnects through the proxy.
/// </summary>
internal sealed class ReplyGateProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly string upstreamHost;
    private readonly int upstreamPort;
    private readonly CancellationTokenSource stop = new();
    private readonly List<Socket> open = [];
    private readonly Lock gate = new();
    private readonly Task acceptLoop;
    private volatile bool swallowReplies;

    public ReplyGateProxy(string upstreamHost, int upstreamPort)
    {
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        listener.Start();
        acceptLoop = AcceptLoop();
    }

    public string ConnectString => $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>While true, bytes from the server are read and discarded.</summary>
    public bool SwallowReplies
    {
        get => swallowReplies;
        set => swallowReplies = value;
    }

    public void DropAll()
    {
        lock (gate)
        {
            foreach (var socket in open) socket.Close();
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
            _ = Relay(client);
        }
    }

    private async Task Relay(Socket client)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await upstream.ConnectAsync(upstreamHost, upstreamPort, stop.Token);
            lock (gate)
            {
                open.Add(client);
                open.Add(upstream);
            }
            await Task.WhenAny(Pipe(client, upstream, replies: false), Pipe(upstream, client, replies: true));
        }
        catch (Exception)
        {
            // a dropped connection ends the relay
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
            int n = await from.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
            if (n == 0) return;
            if (replies && swallowReplies) continue;
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

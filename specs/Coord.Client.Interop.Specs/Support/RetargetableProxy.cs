using System.Net;
using System.Net.Sockets;

namespace Coord.Client.Interop.Specs.Support;

/// <summary>
/// A loopback TCP relay whose upstream can be changed, so a client keeps one connect string while the server
/// behind it is killed and restarted on another port. While paused, new connections are closed at once.
/// </summary>
internal sealed class RetargetableProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly List<Socket> open = [];
    private readonly Lock gate = new();
    private readonly Task acceptLoop;
    private int upstreamPort;
    private bool paused;

    public RetargetableProxy(int upstreamPort)
    {
        this.upstreamPort = upstreamPort;
        listener.Start();
        acceptLoop = AcceptLoop();
    }

    public string ConnectString => $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    public void Retarget(int port)
    {
        lock (gate) upstreamPort = port;
    }

    public void Pause()
    {
        lock (gate) paused = true;
    }

    public void Resume()
    {
        lock (gate) paused = false;
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
        while (true)
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
            int port;
            bool refuse;
            lock (gate)
            {
                port = upstreamPort;
                refuse = paused;
            }
            if (refuse) client.Close();
            else _ = Relay(client, port);
        }
    }

    private async Task Relay(Socket client, int port)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, port, stop.Token);
            lock (gate)
            {
                open.Add(client);
                open.Add(upstream);
            }
            await Task.WhenAny(Pipe(client, upstream), Pipe(upstream, client));
        }
        catch (Exception)
        {
            // a refused or dropped connection ends the relay
        }
        finally
        {
            lock (gate)
            {
                open.Remove(client);
                open.Remove(upstream);
            }
            client.Close();
        }
    }

    private async Task Pipe(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await from.ReceiveAsync(buffer, SocketFlags.None, stop.Token)) > 0)
            await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stop.Token);
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

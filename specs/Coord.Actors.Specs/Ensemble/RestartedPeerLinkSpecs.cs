using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Akka.Remote;

namespace Coord.Actors.Specs.Ensemble;

/// <summary>
/// A member killed (kill -9) and started again on the same address while the survivor keeps sending to that address,
/// with classic Akka.Remote configured as Coord.Host's EnsembleBoot.RemoteConfig does (<see cref="Remoting.Coord"/>:
/// <c>use-passive-connections = off</c>) and, to show what that setting prevents, with Akka's default passive
/// connections (<see cref="Remoting.Passive"/>). Two ActorSystems named "coord" on loopback: A (the survivor) and B
/// (killed, then B2 on the same address). Each advertises a small TCP proxy in front of its real port as its public
/// port, so a spec can kill B's connections the way a dead process does (FIN, no Akka disassociate) and hold a
/// connection A opens to B2 for a moment (as a dropped SYN retried later does).
/// <para>
/// The wedge (Akka.Remote 1.5, EndpointManager.HandleInboundAssociation and EndpointReader.NotReading):
/// A's writable endpoint for B survives B's death with B's old UID (the reliable delivery supervisor only gates
/// itself). A sends, so that endpoint starts associating to the new B2 (connection C1, its handshake delayed). B2 sends
/// too and its association (C2) reaches A first: a different UID than the registered one, so A stops the old endpoint,
/// quarantines the old UID and takes C2 for itself. A's pending association C1 then completes anyway, for a writer that
/// no longer exists: nobody on A ever writes on it or closes it, yet both sides heartbeat it. On B2, C1 arrives as an
/// inbound association from A's known UID while B2 writes to A on C2: B2 tells C2's reader to stop reading (it then
/// drops everything silently) and reads C1 instead.
/// </para>
/// <para>
/// With passive connections A took C2 as its writable endpoint and writes on it: A writes on C2, B2 reads C1, so B2
/// never hears A again; A still hears B2; nothing is logged above debug and nothing times out.
/// Without them (Coord) each side writes only on connections it opened and reads only those the other opened: A took
/// C2 read-only and writes on a connection of its own (C3). C2's reader stopping on B2 loses nothing (A writes nothing
/// on C2), and on B2 each inbound association from A replaces the previous one and closes it, so when the orphan C1
/// is the last to arrive, the connection it replaced is A's live one, whose close A's writer sees: it associates
/// again and that association replaces C1. No connection is ever written on and unread while open.
/// </para>
/// </summary>
public sealed class RestartedPeerLinkSpecs
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);

    public enum Remoting
    {
        /// <summary>EnsembleBoot.RemoteConfig: <c>use-passive-connections = off</c>.</summary>
        Coord,

        /// <summary>The same with Akka.Remote's default <c>use-passive-connections = on</c>.</summary>
        Passive,
    }

    /// <summary>
    /// Nothing held: A broadcasting to B's address from before B2 is up, B2 broadcasting from its start. On loopback
    /// A's association to B2 completes before B2's reaches A, so this path stays clear of the wedge either way.
    /// </summary>
    [Theory]
    [InlineData(Remoting.Coord)]
    [InlineData(Remoting.Passive)]
    public async Task A_member_restarted_on_the_same_address_hears_and_is_heard_again(Remoting remoting)
    {
        await using var s = await Scenario.StartAsync(remoting);
        await s.CrashBAsync();
        s.A.SendToPeerEvery100Ms();
        s.StartB2(holdNewConnections: false);
        s.B2!.SendToPeerEvery100Ms();

        await s.B2.WaitHeardAsync(Bounded, "B2 hears A");
        await s.A.WaitHeardAsync(Bounded, "A hears B2");
    }

    /// <summary>What Coord's remoting prevents: the staged sequence wedges B2 when passive connections are on.</summary>
    [Fact]
    public async Task With_passive_connections_the_restarted_member_stays_deaf_to_the_survivor()
    {
        await using var s = await Scenario.StartAsync(Remoting.Passive);
        var c1 = await s.StageAsync();
        s.StopHolding();
        var c1Read = s.B2!.WhenAssociated(inbound: true); // B2 reads C1 once C2's reader stopped
        await c1.ReleaseAsync();
        await c1Read.WaitAsync(Bounded);

        // The sign that it is wedged and not slow: heartbeats keep both connections up and A keeps sending, yet for
        // longer than the transport failure detector's pause and the handshake timeout nothing of A's arrives.
        int before = s.B2!.HeardCount;
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.True(s.B2.HeardCount == before,
            $"B2 heard A again ({s.B2.HeardCount - before} messages): the wedge did not happen with passive connections; " +
            "if Akka.Remote fixed it, this spec no longer shows why Coord turns them off");
        await s.A.WaitHeardAsync(Bounded, "A still hears B2");
    }

    /// <summary>The same sequence under Coord's remoting: C1 and A's own new association C3 let through together.</summary>
    [Fact]
    public async Task Without_passive_connections_the_restarted_member_keeps_hearing_the_survivor()
    {
        await using var s = await Scenario.StartAsync(Remoting.Coord);
        var c1 = await s.StageAsync();
        var c3 = await s.NextHeldAsync("A's new association to B2 (C3)");
        s.StopHolding();
        await Task.WhenAll(c1.ReleaseAsync(), c3.ReleaseAsync());

        // Both handshakes answered by B2, so both reached it; A sends every 100 ms: 10 more is a second of hearing.
        await s.B2!.WaitHeardAsync(Bounded, "B2 keeps hearing A after C1 and C3 reached it", after: s.B2.HeardCount + 10);
        await s.A.WaitHeardAsync(Bounded, "A still hears B2");
    }

    /// <summary>
    /// Under Coord's remoting the worst order: A's new association C3 reaches B2 and carries A's messages, then the
    /// orphan C1 arrives and replaces it as B2's reader. B2 closes C3; A sees its writer's association drop (the one
    /// thing this order costs: a disassociation, which PeerLossHints reports) and associates again; B2 hears A again.
    /// </summary>
    [Fact]
    public async Task Without_passive_connections_an_orphaned_association_arriving_last_costs_one_reconnect()
    {
        await using var s = await Scenario.StartAsync(Remoting.Coord);
        var c1 = await s.StageAsync();
        var c3 = await s.NextHeldAsync("A's new association to B2 (C3)");
        s.StopHolding();
        await c3.ReleaseAsync();
        await s.B2!.WaitHeardAsync(Bounded, "B2 hears A over C3");

        var writerDropped = s.A.WhenDisassociated(inbound: false);
        await c1.ReleaseAsync();
        await writerDropped.WaitAsync(Bounded);
        int afterDrop = s.B2.HeardCount;
        await s.B2.WaitHeardAsync(Bounded, "B2 hears A again after A re-associated", after: afterDrop + 10);
        await s.A.WaitHeardAsync(Bounded, "A still hears B2");
    }

    /// <summary>A and B behind their proxies, and what the specs do to them.</summary>
    private sealed class Scenario : IAsyncDisposable
    {
        private readonly Remoting _remoting;
        private readonly LinkProxy _aProxy;
        private readonly LinkProxy _bProxy;
        private ActorSystem? _b;

        private Scenario(Remoting remoting, LinkProxy aProxy, LinkProxy bProxy, Member a)
        {
            _remoting = remoting;
            _aProxy = aProxy;
            _bProxy = bProxy;
            A = a;
        }

        public Member A { get; }
        public Member? B2 { get; private set; }

        private static string AddressAt(LinkProxy proxy) => $"akka.tcp://coord@127.0.0.1:{proxy.Port}";

        /// <summary>A and B up, each having heard the other.</summary>
        public static async Task<Scenario> StartAsync(Remoting remoting)
        {
            var aProxy = new LinkProxy();
            var bProxy = new LinkProxy();
            Scenario? s = null;
            try
            {
                int aPort = LinkProxy.FreeLoopbackPort();
                var aSystem = ActorSystem.Create("coord", Config(remoting, aPort, aProxy.Port));
                aProxy.Target = aPort;
                s = new Scenario(remoting, aProxy, bProxy, new Member(aSystem, AddressAt(bProxy)));
                s._b = s.StartB();
                var b = new Member(s._b, AddressAt(aProxy));
                s.A.SendOnce();
                await b.WaitHeardAsync(Bounded, "the first B hears A");
                b.SendOnce(); // with passive connections on the association A opened, else on B's own
                await s.A.WaitHeardAsync(Bounded, "A hears the first B");
                return s;
            }
            catch
            {
                if (s is not null) await s.DisposeAsync();
                else
                {
                    aProxy.Dispose();
                    bProxy.Dispose();
                }
                throw;
            }
        }

        private ActorSystem StartB()
        {
            int bound = LinkProxy.FreeLoopbackPort();
            var system = ActorSystem.Create("coord", Config(_remoting, bound, _bProxy.Port));
            _bProxy.Target = bound;
            return system;
        }

        /// <summary>
        /// kill -9 of B: all its connections end with a FIN and no Akka disassociate (A's to B, and without passive
        /// connections B's to A too); once A saw each drop, B is gone.
        /// </summary>
        public async Task CrashBAsync()
        {
            var drops = new List<Task> { A.WhenDisassociated(inbound: false) };
            if (_remoting == Remoting.Coord) drops.Add(A.WhenDisassociated(inbound: true));
            _bProxy.Refusing = true;
            _bProxy.CloseAll();
            _aProxy.CloseAll();
            await Task.WhenAll(drops).WaitAsync(Bounded);
            var b = _b!;
            _b = null;
            await b.Terminate().WaitAsync(Bounded);
        }

        /// <summary>B2 on B's address, its own actor running from the start.</summary>
        public void StartB2(bool holdNewConnections)
        {
            _bProxy.Holding = holdNewConnections;
            _b = StartB();
            B2 = new Member(_b, AddressAt(_aProxy));
            _bProxy.Refusing = false;
        }

        public void StopHolding() => _bProxy.Holding = false;

        public async Task<HeldConnection> NextHeldAsync(string what)
        {
            try
            {
                return await _bProxy.NextHeldAsync().WaitAsync(Bounded);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{what}: no connection to B2 within {Bounded.TotalSeconds:0} s");
            }
        }

        /// <summary>
        /// The sequence that wedges with passive connections: A's association to B2 (C1) held in B's proxy
        /// mid-handshake, B2's association to A (C2) established meanwhile (A hears B2). Returns C1, still held; the
        /// proxy goes on holding new connections to B2.
        /// </summary>
        public async Task<HeldConnection> StageAsync()
        {
            await CrashBAsync();
            StartB2(holdNewConnections: true);
            A.SendToPeerEvery100Ms();
            // A's endpoint for B (old UID) is connecting: C1 sent its Associate.
            var c1 = await NextHeldAsync("A's association to B2 from its endpoint for the first B (C1)");
            B2!.SendToPeerEvery100Ms(); // C2, through A's proxy, which never holds
            await A.WaitHeardAsync(Bounded, "A hears B2 over C2");
            return c1;
        }

        public async ValueTask DisposeAsync()
        {
            _aProxy.Dispose();
            _bProxy.Dispose();
            var systems = new[] { A.System, _b }.OfType<ActorSystem>().ToList();
            await Task.WhenAll(systems.Select(x => x.Terminate())).WaitAsync(Bounded);
        }
    }

    /// <summary>One side: an actor at /user/replication that counts what it hears and sends to the other side.</summary>
    private sealed class Member
    {
        private readonly Tally _state = new();
        private readonly IActorRef _actor;

        public Member(ActorSystem system, string peerAddress)
        {
            System = system;
            _actor = system.ActorOf(Props.Create(() => new PeerActor(_state, $"{peerAddress}/user/replication")), "replication");
        }

        public ActorSystem System { get; }
        public int HeardCount => Volatile.Read(ref _state.Heard);

        public void SendOnce() => _actor.Tell(PeerActor.SendNow.Instance);

        /// <summary>As a looking member's election broadcast: a message to the peer every 100 ms.</summary>
        public void SendToPeerEvery100Ms() => _actor.Tell(PeerActor.StartSending.Instance);

        /// <summary>
        /// Completes at the next disassociation on this side of an inbound association or an outbound one (this side's
        /// writer); subscribed before it returns, so a drop the caller then causes is not missed.
        /// </summary>
        public Task WhenDisassociated(bool inbound)
        {
            var dropped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            System.EventStream.Subscribe(System.ActorOf(Props.Create(() => new DisassociationWatch(dropped, inbound))), typeof(DisassociatedEvent));
            return dropped.Task;
        }

        /// <summary>Completes at the next association on this side, inbound or outbound; subscribed before it returns.</summary>
        public Task WhenAssociated(bool inbound)
        {
            var associated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            System.EventStream.Subscribe(System.ActorOf(Props.Create(() => new AssociationWatch(associated, inbound))), typeof(AssociatedEvent));
            return associated.Task;
        }

        public async Task WaitHeardAsync(TimeSpan timeout, string what, int? after = null)
        {
            try
            {
                await _state.WhenHeard(after ?? HeardCount + 1).WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{what}: not within {timeout.TotalSeconds:0} s (heard {HeardCount})");
            }
        }
    }

    private sealed class Tally
    {
        public int Heard;
        private readonly List<(int Count, TaskCompletionSource Done)> _waits = [];

        public Task WhenHeard(int count)
        {
            lock (_waits)
            {
                if (Volatile.Read(ref Heard) >= count) return Task.CompletedTask;
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waits.Add((count, done));
                return done.Task;
            }
        }

        public void OnHeard()
        {
            lock (_waits)
            {
                int now = Interlocked.Increment(ref Heard);
                foreach (var w in _waits.Where(w => w.Count <= now).ToList())
                {
                    w.Done.TrySetResult();
                    _waits.Remove(w);
                }
            }
        }
    }

    private sealed class PeerActor : ReceiveActor, IWithTimers
    {
        public sealed record SendNow { public static readonly SendNow Instance = new(); }
        public sealed record StartSending { public static readonly StartSending Instance = new(); }
        private sealed record Tick { public static readonly Tick Instance = new(); }

        private readonly ActorSelection _peer;
        private int _sent;

        public ITimerScheduler Timers { get; set; } = null!;

        public PeerActor(Tally state, string peerPath)
        {
            _peer = Context.ActorSelection(peerPath);
            Receive<string>(_ => state.OnHeard());
            Receive<SendNow>(_ => Send());
            Receive<StartSending>(_ => Timers.StartPeriodicTimer("send", Tick.Instance, TimeSpan.Zero, TimeSpan.FromMilliseconds(100)));
            Receive<Tick>(_ => Send());
        }

        private void Send() => _peer.Tell($"message {_sent++}", ActorRefs.NoSender);
    }

    private sealed class DisassociationWatch : ReceiveActor
    {
        public DisassociationWatch(TaskCompletionSource dropped, bool inbound)
        {
            Receive<DisassociatedEvent>(e => e.IsInbound == inbound, _ =>
            {
                dropped.TrySetResult();
                Context.System.EventStream.Unsubscribe(Self);
                Context.Stop(Self);
            });
            Receive<DisassociatedEvent>(_ => { });
        }
    }

    private sealed class AssociationWatch : ReceiveActor
    {
        public AssociationWatch(TaskCompletionSource associated, bool inbound)
        {
            Receive<AssociatedEvent>(e => e.IsInbound == inbound, _ =>
            {
                associated.TrySetResult();
                Context.System.EventStream.Unsubscribe(Self);
                Context.Stop(Self);
            });
            Receive<AssociatedEvent>(_ => { });
        }
    }

    /// <summary>
    /// EnsembleBoot.RemoteConfig's remoting with a 3 s transport pause (2 × a 1.5 s sync limit), peers' frames aside;
    /// <see cref="Remoting.Passive"/> turns passive connections back on. Coord.Host.Specs' RemoteConfigSpecs pins
    /// these values to EnsembleBoot's.
    /// </summary>
    private static Config Config(Remoting remoting, int port, int publicPort) => ConfigurationFactory.ParseString($$"""
        akka {
          loglevel = OFF
          stdout-loglevel = OFF
          actor.provider = remote
          remote {
            use-passive-connections = {{(remoting == Remoting.Passive ? "on" : "off")}}
            transport-failure-detector {
              heartbeat-interval = 1s
              acceptable-heartbeat-pause = 3000ms
            }
            handshake-timeout = 3000ms
            retry-gate-closed-for = 200ms
            dot-netty.tcp {
              hostname = "127.0.0.1"
              port = {{port}}
              public-port = {{publicPort}}
            }
          }
        }
        """);

    /// <summary>A connection B's proxy accepted while holding: nothing forwarded until released.</summary>
    private sealed class HeldConnection
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Released => _release.Task;

        /// <summary>Lets it through; completes once B2 answered on it (its handshake reply went back to A).</summary>
        public async Task ReleaseAsync()
        {
            _release.TrySetResult();
            try
            {
                await _answered.Task.WaitAsync(Bounded);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"a released connection got no answer from B2 within {Bounded.TotalSeconds:0} s");
            }
        }

        public void Answered() => _answered.TrySetResult();
    }

    /// <summary>
    /// A TCP forwarder on 127.0.0.1 port 0 standing for a member's address: it forwards to <see cref="Target"/>, can
    /// end every connection with a FIN (a killed process's sockets), refuse new ones, or hold new ones (accepted,
    /// nothing forwarded) until each is released.
    /// </summary>
    private sealed class LinkProxy : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly List<Socket> _open = [];
        private readonly Channel<HeldConnection> _held = Channel.CreateUnbounded<HeldConnection>();
        private readonly CancellationTokenSource _stop = new();

        public LinkProxy()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
            _ = AcceptLoopAsync();
        }

        public int Port { get; }
        public volatile int Target;
        public volatile bool Refusing;
        public volatile bool Holding;

        /// <summary>The next connection accepted while holding, in the order they were accepted.</summary>
        public async Task<HeldConnection> NextHeldAsync() => await _held.Reader.ReadAsync(_stop.Token);

        /// <summary>A port free on loopback now (bound to port 0, then let go), for a member's real port behind its proxy.</summary>
        public static int FreeLoopbackPort()
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)s.LocalEndPoint!).Port;
        }

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket inbound;
                try { inbound = await _listener.AcceptAsync(_stop.Token); }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
                if (Refusing)
                {
                    inbound.Close();
                    continue;
                }
                _ = ForwardAsync(inbound, Holding ? new HeldConnection() : null);
            }
        }

        private async Task ForwardAsync(Socket inbound, HeldConnection? held)
        {
            var outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            lock (_open)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }
            try
            {
                if (held is not null)
                {
                    _held.Writer.TryWrite(held);
                    await held.Released.WaitAsync(_stop.Token);
                }
                await outbound.ConnectAsync(IPAddress.Loopback, Target, _stop.Token);
                await Task.WhenAny(CopyAsync(inbound, outbound, null), CopyAsync(outbound, inbound, held));
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            Close(inbound);
            Close(outbound);
        }

        private async Task CopyAsync(Socket from, Socket to, HeldConnection? answeredOn)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0) return;
                    await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                    answeredOn?.Answered();
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        /// <summary>Ends every connection through the proxy with a FIN on both sides.</summary>
        public void CloseAll()
        {
            lock (_open)
            {
                foreach (var s in _open) Close(s);
                _open.Clear();
            }
        }

        private static void Close(Socket s)
        {
            try
            {
                if (s.Connected) s.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            s.Close();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Close();
            CloseAll();
            _stop.Dispose();
        }
    }
}

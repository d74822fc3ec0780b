using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.Remote;
using Coord.Actors.Ensemble;

namespace Coord.Actors.Specs.Ensemble;

/// <summary>
/// A member killed (kill -9) and started again on the same address, while the survivor keeps sending to that address,
/// with classic Akka.Remote configured as EnsembleBoot.RemoteConfig does. Two ActorSystems named "coord" on loopback:
/// A (the survivor) and B (killed, then B2 on the same address). B's address is a small TCP proxy in front of B's real
/// port (B advertises the proxy's port as its public port), so a spec can kill B's connections the way a dead process
/// does (FIN, no Akka disassociate), and hold a connection A opens to B2 for a moment (as a dropped SYN retried later does).
/// <para>
/// The wedge (Akka.Remote 1.5, EndpointManager.HandleInboundAssociation and EndpointReader.NotReading):
/// A's writable endpoint for B survives B's death with B's old UID (the reliable delivery supervisor only gates
/// itself). A sends, so that endpoint starts associating to the new B2 (connection C1, its handshake delayed). B2 sends
/// too and its association (C2) reaches A first: a different UID than the registered one, so A stops the old endpoint,
/// quarantines the old UID and takes C2 as its writable endpoint. A's pending association C1 then completes anyway, for
/// a writer that no longer exists: nobody on A ever writes on it or closes it, yet both sides heartbeat it. On B2, C1
/// arrives as an inbound association from A's known UID while B2 already writes to A on C2: the passive read handoff
/// tells the C2 reader to stop reading (it then drops everything silently) and reads C1 instead. A writes on C2, B2 reads
/// C1: B2 never hears A again; A still hears B2; nothing is logged above debug and nothing times out.
/// </para>
/// Dropping every association to the silent member's address without quarantining anyone
/// (<c>Transport.Quarantine(address, null)</c>, what <see cref="PeerLinkReset"/> does in Coord.Host) ends both
/// connections; the next sends associate afresh.
/// </summary>
public sealed class RestartedPeerLinkSpecs
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Nothing held, no link reset: A broadcasting to B's address from before B2 is up, B2 broadcasting from its start.
    /// On loopback A's association to B2 completes before B2's reaches A, so this path stays clear of the wedge.
    /// </summary>
    [Fact]
    public async Task A_member_restarted_on_the_same_address_hears_and_is_heard_again()
    {
        await using var s = await Scenario.StartAsync();
        await s.CrashBAsync();
        s.A.SendToPeerEvery100Ms();
        s.StartB2(holdNewConnections: false);
        s.B2!.SendToPeerEvery100Ms();

        await s.B2.WaitHeardAsync(Bounded, "B2 hears A");
        await s.A.WaitHeardAsync(Bounded, "A hears B2");
    }

    [Fact]
    public async Task Without_a_link_reset_the_restarted_member_stays_deaf_to_the_survivor()
    {
        await using var s = await Scenario.StartAsync();
        await s.StageWedgeAsync();

        // The sign that it is wedged and not slow: heartbeats keep both connections up and A keeps sending, yet for
        // longer than the transport failure detector's pause and the handshake timeout nothing of A's arrives.
        int before = s.B2!.HeardCount;
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.True(s.B2.HeardCount == before,
            $"B2 heard A again ({s.B2.HeardCount - before} messages): the wedge did not happen; if Akka.Remote fixed it, " +
            "PeerLinkReset (Coord.Host wires it into replication) can go");
        await s.A.WaitHeardAsync(Bounded, "A still hears B2");
    }

    [Fact]
    public async Task A_link_reset_after_a_silence_unwedges_the_restarted_member()
    {
        await using var s = await Scenario.StartAsync(resetAfterSilentMs: 1_000);
        await s.StageWedgeAsync();

        await s.B2!.WaitHeardAsync(Bounded, "B2 hears A after its link reset");
        Assert.True(s.B2.Resets > 0, "B2 heard A again without resetting its link: the wedge did not happen");
        await s.A.WaitHeardAsync(Bounded, "A still hears B2");
        // Both ways, and for good: the fresh associations carry traffic after the reset.
        int heard = s.B2.HeardCount;
        await s.B2.WaitHeardAsync(Bounded, "B2 keeps hearing A", after: heard + 10);
    }

    /// <summary>A, B behind the proxy, and what the specs do to them.</summary>
    private sealed class Scenario : IAsyncDisposable
    {
        private readonly LinkProxy _proxy;
        private readonly long? _resetAfterSilentMs;
        private ActorSystem? _b;

        private Scenario(LinkProxy proxy, Member a, long? resetAfterSilentMs)
        {
            _proxy = proxy;
            A = a;
            _resetAfterSilentMs = resetAfterSilentMs;
        }

        public Member A { get; }
        public Member? B2 { get; private set; }

        private string BAddress => $"akka.tcp://coord@127.0.0.1:{_proxy.Port}";

        /// <summary>A and B up, each having heard the other (one connection, A's, through the proxy).</summary>
        public static async Task<Scenario> StartAsync(long? resetAfterSilentMs = null)
        {
            var proxy = new LinkProxy();
            Scenario? s = null;
            try
            {
                var aSystem = ActorSystem.Create("coord", Config(0, null));
                var aAddress = ((ExtendedActorSystem)aSystem).Provider.DefaultAddress;
                s = new Scenario(proxy, new Member(aSystem, $"akka.tcp://coord@127.0.0.1:{proxy.Port}", null), resetAfterSilentMs);
                s._b = s.StartB();
                var b = new Member(s._b, aAddress.ToString(), null);
                s.A.SendOnce();
                await b.WaitHeardAsync(Bounded, "the first B hears A");
                b.SendOnce(); // on the association A opened (passive connections)
                await s.A.WaitHeardAsync(Bounded, "A hears the first B");
                return s;
            }
            catch
            {
                if (s is not null) await s.DisposeAsync();
                else proxy.Dispose();
                throw;
            }
        }

        private ActorSystem StartB()
        {
            int bound = LinkProxy.FreeLoopbackPort();
            var system = ActorSystem.Create("coord", Config(bound, _proxy.Port));
            _proxy.Target = bound;
            return system;
        }

        /// <summary>kill -9 of B: its connections end with a FIN and no Akka disassociate; then it is gone.</summary>
        public async Task CrashBAsync()
        {
            var dropped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // Subscribed before the connections close (a subscription from PreStart could come too late).
            A.System.EventStream.Subscribe(A.System.ActorOf(Props.Create(() => new DisassociationWatch(dropped))), typeof(DisassociatedEvent));
            _proxy.Refusing = true;
            _proxy.CloseAll();
            await dropped.Task.WaitAsync(Bounded);
            var b = _b!;
            _b = null;
            await b.Terminate().WaitAsync(Bounded);
        }

        /// <summary>B2 on B's address (the proxy), its own actor running from the start.</summary>
        public void StartB2(bool holdNewConnections)
        {
            _proxy.Holding = holdNewConnections;
            _b = StartB();
            B2 = new Member(_b, ((ExtendedActorSystem)A.System).Provider.DefaultAddress.ToString(), _resetAfterSilentMs);
            _proxy.Refusing = false;
        }

        /// <summary>
        /// The sequence that wedges: A's association to B2 (C1) held in the proxy mid-handshake, B2's association to A
        /// (C2) established meanwhile, then C1 let through; returns once C1 reached B2 as an inbound association.
        /// </summary>
        public async Task StageWedgeAsync()
        {
            await CrashBAsync();
            StartB2(holdNewConnections: true);
            var c1Arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            B2!.System.EventStream.Subscribe(B2.System.ActorOf(Props.Create(() => new InboundAssociationWatch(c1Arrived))), typeof(AssociatedEvent));
            A.SendToPeerEvery100Ms();
            await _proxy.Held.WaitAsync(Bounded);   // A's endpoint for B (old UID) is connecting: C1 sent its Associate
            B2.SendToPeerEvery100Ms();              // C2, straight to A
            await A.WaitHeardAsync(Bounded, "A hears B2 over C2");
            _proxy.Release();                       // C1's handshake completes, for a writer A has stopped
            await c1Arrived.Task.WaitAsync(Bounded);
        }

        public async ValueTask DisposeAsync()
        {
            _proxy.Dispose();
            var systems = new[] { A.System, _b }.OfType<ActorSystem>().ToList();
            await Task.WhenAll(systems.Select(x => x.Terminate())).WaitAsync(Bounded);
        }
    }

    /// <summary>One side: an actor at /user/replication that counts what it hears and sends to the other side.</summary>
    private sealed class Member
    {
        private readonly Tally _state = new();
        private readonly IActorRef _actor;

        public Member(ActorSystem system, string peerAddress, long? resetAfterSilentMs)
        {
            System = system;
            var peer = Address.Parse(peerAddress);
            var transport = ((IRemoteActorRefProvider)((ExtendedActorSystem)system).Provider).Transport;
            PeerLinkReset? reset = resetAfterSilentMs is { } ms
                ? new PeerLinkReset(ms, _ =>
                {
                    Interlocked.Increment(ref _state.Resets);
                    transport.Quarantine(peer, null); // what Coord.Host's EnsembleBoot.LinkReset does
                })
                : null;
            _actor = system.ActorOf(Props.Create(() => new PeerActor(_state, $"{peerAddress}/user/replication", reset)), "replication");
        }

        public ActorSystem System { get; }
        public int HeardCount => Volatile.Read(ref _state.Heard);
        public int Resets => Volatile.Read(ref _state.Resets);

        public void SendOnce() => _actor.Tell(PeerActor.SendNow.Instance);

        /// <summary>As a looking member's election broadcast: a message to the peer every 100 ms.</summary>
        public void SendToPeerEvery100Ms() => _actor.Tell(PeerActor.StartSending.Instance);

        public async Task WaitHeardAsync(TimeSpan timeout, string what, int? after = null)
        {
            try
            {
                await _state.WhenHeard(after ?? HeardCount + 1).WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{what}: not within {timeout.TotalSeconds:0} s (heard {HeardCount}, resets {Resets})");
            }
        }
    }

    private sealed class Tally
    {
        public int Heard;
        public int Resets;
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

        private readonly Tally _state;
        private readonly ActorSelection _peer;
        private readonly PeerSilence? _silence;
        private readonly PeerLinkReset? _reset;
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private int _sent;

        public ITimerScheduler Timers { get; set; } = null!;

        public PeerActor(Tally state, string peerPath, PeerLinkReset? reset)
        {
            _state = state;
            _peer = Context.ActorSelection(peerPath);
            _reset = reset;
            _silence = reset is null ? null : new PeerSilence(reset.SilentMs);
            Receive<string>(_ =>
            {
                _silence?.Heard(1);
                _state.OnHeard();
            });
            Receive<SendNow>(_ => Send());
            Receive<StartSending>(_ => Timers.StartPeriodicTimer("send", Tick.Instance, TimeSpan.Zero, TimeSpan.FromMilliseconds(100)));
            Receive<Tick>(_ =>
            {
                Send();
                if (_silence is null) return;
                foreach (var (member, _) in _silence.TakeDue(_clock.ElapsedMilliseconds)) _reset!.Reset(member);
            });
        }

        private void Send()
        {
            _peer.Tell($"message {_sent++}", ActorRefs.NoSender);
            _silence?.Sent(1, _clock.ElapsedMilliseconds);
        }
    }

    private sealed class DisassociationWatch : ReceiveActor
    {
        public DisassociationWatch(TaskCompletionSource dropped) => Receive<DisassociatedEvent>(_ => dropped.TrySetResult());
    }

    private sealed class InboundAssociationWatch : ReceiveActor
    {
        public InboundAssociationWatch(TaskCompletionSource arrived) =>
            Receive<AssociatedEvent>(e => e.IsInbound, _ => arrived.TrySetResult());
    }

    /// <summary>EnsembleBoot.RemoteConfig's remoting with a 3 s transport pause (2 × a 1.5 s sync limit), peers' frames aside.</summary>
    private static Config Config(int port, int? publicPort) => ConfigurationFactory.ParseString($$"""
        akka {
          loglevel = OFF
          stdout-loglevel = OFF
          actor.provider = remote
          remote {
            transport-failure-detector {
              heartbeat-interval = 1s
              acceptable-heartbeat-pause = 3000ms
            }
            handshake-timeout = 3000ms
            retry-gate-closed-for = 200ms
            dot-netty.tcp {
              hostname = "127.0.0.1"
              port = {{port}}
              {{(publicPort is { } p ? $"public-port = {p}" : "")}}
            }
          }
        }
        """);

    /// <summary>
    /// A TCP forwarder on 127.0.0.1 port 0 standing for B's address: it forwards to <see cref="Target"/>, can end every
    /// connection with a FIN (a killed process's sockets), refuse new ones, or hold new ones (accepted, nothing forwarded)
    /// until <see cref="Release"/>.
    /// </summary>
    private sealed class LinkProxy : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly List<Socket> _open = [];
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

        /// <summary>Completes when a connection was accepted while holding.</summary>
        public Task Held => _held.Task;

        public void Release() => _release.TrySetResult();

        /// <summary>A port free on loopback now (bound to port 0, then let go), for B's real port behind the proxy.</summary>
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
                _ = ForwardAsync(inbound, Holding);
            }
        }

        private async Task ForwardAsync(Socket inbound, bool hold)
        {
            var outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            lock (_open)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }
            try
            {
                if (hold)
                {
                    _held.TrySetResult();
                    await _release.Task.WaitAsync(_stop.Token);
                }
                await outbound.ConnectAsync(IPAddress.Loopback, Target, _stop.Token);
                await Task.WhenAny(CopyAsync(inbound, outbound), CopyAsync(outbound, inbound));
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            Close(inbound);
            Close(outbound);
        }

        private async Task CopyAsync(Socket from, Socket to)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0) return;
                    await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
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

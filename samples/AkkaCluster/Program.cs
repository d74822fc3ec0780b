using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.Discovery;
using Coord.Akka;
using Coord.Akka.Discovery;

// A small Akka.NET cluster that needs nothing but Coord: members find their seed nodes through Coord discovery, the
// split brain resolver decides partitions with the Coord lease, and the cluster singleton runs only while it holds
// its Coord lease. Start two or three of these (see README.md); each prints one line per event.

if (args.Length is < 1 or > 2 || (args.Length == 2 && !int.TryParse(args[1], out _)))
{
    Console.Error.WriteLine("usage: AkkaCluster COORD-CONNECT-STRING [AKKA-PORT]   (port 0 or none = any free port)");
    return 2;
}

var connectString = args[0];
var port = args.Length == 2 ? int.Parse(args[1]) : 0;
const string ServiceName = "akka-cluster-sample";

var config = ConfigurationFactory.ParseString($$"""
    akka {
      loglevel = WARNING
      actor.provider = cluster
      remote.dot-netty.tcp { hostname = 127.0.0.1, port = {{port}} }
      discovery.method = coord
      cluster {
        downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
        split-brain-resolver {
          active-strategy = lease-majority
          stable-after = 5s
          lease-majority.lease-implementation = "coord.akka.lease"
        }
        singleton.use-lease = "coord.akka.lease"
        singleton.lease-retry-interval = 2s
      }
    }
    coord.akka {
      connect-string = "{{connectString}}"
      lease { heartbeat-timeout = 6s, heartbeat-interval = 1s }
    }
    """).WithFallback(CoordAkkaConfig.Default);

var system = ActorSystem.Create("sample", config);
var cluster = Cluster.Get(system);
var self = cluster.SelfAddress;
Console.WriteLine($"node {self.HostPort()} started");

cluster.RegisterOnMemberUp(() => Console.WriteLine($"node {self.HostPort()} is up"));
system.ActorOf(Props.Create(() => new MemberLog()), "member-log");

// Seed nodes from Coord: register this node, then join whatever the lookup lists (sorted the same way on every node).
// A node that only finds itself forms the cluster; a node that finds others joins them (Akka's seed-node process
// joins a running member before it would ever form a second cluster on its own).
await CoordDiscovery.Get(system).RegisterSelfAsync(ServiceName);
var resolved = await Discovery.Get(system).Default.Lookup(new Lookup(ServiceName), TimeSpan.FromSeconds(5));
var seeds = resolved.Addresses
    .Where(t => t.Port is not null)
    .Select(t => new Address(self.Protocol, self.System, t.Host, t.Port))
    .ToList();
Console.WriteLine($"seed nodes from coord: {string.Join(", ", seeds.Select(s => s.HostPort()))}");
cluster.JoinSeedNodes(seeds);

system.ActorOf(ClusterSingletonManager.Props(Props.Create(() => new Ticker()), PoisonPill.Instance,
    ClusterSingletonManagerSettings.Create(system)), "ticker");

var stopped = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stopped.TrySetResult();
};
await Task.WhenAny(stopped.Task, system.WhenTerminated);
await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
Console.WriteLine($"node {self.HostPort()} stopped");
return 0;

/// <summary>The cluster singleton: runs on one node at a time, and only while that node holds the singleton's lease.</summary>
internal sealed class Ticker : ReceiveActor, IWithTimers
{
    private int ticks;

    public Ticker() => Receive<string>(_ => Console.WriteLine($"singleton tick {++ticks} on {Cluster.Get(Context.System).SelfAddress.HostPort()}"));

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        Console.WriteLine($"singleton started on {Cluster.Get(Context.System).SelfAddress.HostPort()} (holding its coord lease)");
        Timers.StartPeriodicTimer("tick", "tick", TimeSpan.FromSeconds(2));
    }

    protected override void PostStop() => Console.WriteLine("singleton stopped");
}

/// <summary>Prints membership changes.</summary>
internal sealed class MemberLog : ReceiveActor
{
    public MemberLog()
    {
        Receive<ClusterEvent.MemberUp>(m => Console.WriteLine($"member up: {m.Member.Address.HostPort()}"));
        Receive<ClusterEvent.MemberRemoved>(m => Console.WriteLine($"member removed: {m.Member.Address.HostPort()}"));
        Receive<ClusterEvent.UnreachableMember>(m => Console.WriteLine($"member unreachable: {m.Member.Address.HostPort()}"));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.UnreachableMember));
}

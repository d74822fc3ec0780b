using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Coordination;
using Coord.Akka;
using Coord.Akka.Lease;

// A lease holder in its own process, for the kill -9 spec: acquires one Coord lease through Akka's LeaseProvider
// and keeps it until killed. Each stdout line is one self-contained protocol line for the spec:
//   acquired <fencing token>     the lease is ours
//   busy                         another owner holds it
//   lost <reason>                the lost-lease callback ran
// Exits when stdin ends (the spec is gone) or on SIGTERM.

if (args.Length != 4)
{
    Console.Error.WriteLine("usage: coord-akka-lease-holder SERVER LEASE-NAME OWNER SESSION-MS");
    return 2;
}

var (server, leaseName, owner) = (args[0], args[1], args[2]);
if (!int.TryParse(args[3], out var sessionMs) || sessionMs <= 0)
{
    Console.Error.WriteLine($"SESSION-MS must be a positive number of milliseconds, not '{args[3]}'");
    return 2;
}

var config = ConfigurationFactory.ParseString($$"""
    akka.loglevel = WARNING
    coord.akka {
      connect-string = "{{server}}"
      lease {
        heartbeat-timeout = {{sessionMs}}ms
        heartbeat-interval = {{sessionMs / 4}}ms
      }
    }
    """).WithFallback(CoordAkkaConfig.Default);
using var system = ActorSystem.Create("holder", config);
var lease = (CoordLease)LeaseProvider.Get(system).GetLease(leaseName, "coord.akka.lease", owner);
var acquired = await lease.Acquire(e => Console.WriteLine($"lost {e.Message}"));
Console.WriteLine(acquired ? $"acquired {lease.FencingToken}" : "busy");

var done = new TaskCompletionSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    done.TrySetResult();
});
_ = Task.Run(async () =>
{
    while (await Console.In.ReadLineAsync() is not null)
    {
    }

    done.TrySetResult();
});
await done.Task;
await system.Terminate();
return 0;

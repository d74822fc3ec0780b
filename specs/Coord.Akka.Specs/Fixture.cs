using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Coord.Akka;
using Coord.Client;
using Coord.Interop.Specs.Harness;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Coord.Akka.Specs;

/// <summary>One <c>coord serve</c> process for the whole assembly. A 500 ms tick lets sessions be as short as 1 s, so
/// expiry-driven specs finish in seconds. Spec classes run one after another: the lease specs measure timing and
/// must not share the two cores with another spec class.</summary>
public sealed class CoordServerFixture : IAsyncLifetime
{
    private IServerProcess? server;

    public IServerProcess Server => server ?? throw new InvalidOperationException("the server did not start");

    public string ConnectString => Server.ConnectString;

    public async Task InitializeAsync() => server = await Servers.StartAsync("coord", new ServerOptions(TickMs: 500));

    public async Task DisposeAsync()
    {
        if (server is not null) await server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class CoordCollection : ICollectionFixture<CoordServerFixture>
{
    public const string Name = "coord";
}

internal static class Specs
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>Session timeout of the ActorSystems in these specs: short, so expiry-driven specs are quick.</summary>
    public const int SessionMs = 2000;

    /// <summary>HOCON for an ActorSystem using Coord at <paramref name="connectString"/>, with short timeouts.</summary>
    public static Config Config(string connectString, string extra = "") =>
        ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            coord.akka {
              connect-string = "{{connectString}}"
              session-timeout = {{SessionMs}}ms
              proxy.retry-interval = 200ms
              lease {
                heartbeat-timeout = {{SessionMs}}ms
                heartbeat-interval = 250ms
                lease-operation-timeout = 5s
              }
            }
            {{extra}}
            """).WithFallback(CoordAkkaConfig.Default);

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static Task<CoordClient> ConnectAsync(string connectString, int sessionMs = 8000) =>
        CoordClient.ConnectAsync(connectString, new CoordClientOptions { SessionTimeout = TimeSpan.FromMilliseconds(sessionMs) });

    /// <summary>Completes when <paramref name="path"/> is deleted (at once if it does not exist).</summary>
    public static async Task WaitDeletedAsync(CoordClient client, string path, TimeSpan timeout)
    {
        var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stat = await client.ExistsAsync(path, watcher: e =>
        {
            if (e.Type == Coord.Protocol.EventType.NodeDeleted) deleted.TrySetResult();
        });
        if (stat is null) return;
        await deleted.Task.WaitAsync(timeout);
    }

    public static async Task TerminateAsync(params ActorSystem?[] systems)
    {
        foreach (var s in systems)
        {
            if (s is not null) await s.Terminate().WaitAsync(Wait);
        }
    }

    public static long NowMs => Stopwatch.GetTimestamp() * 1000 / Stopwatch.Frequency;
}

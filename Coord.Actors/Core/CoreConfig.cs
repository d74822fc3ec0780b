using Akka.Actor;
using Akka.Configuration;

namespace Coord.Actors.Core;

/// <summary>
/// The Akka settings the core depends on, added to any ActorSystem that hosts it (the server's, a spec's) as a
/// fallback, so a configuration file can tune them but never has to spell them.
/// </summary>
public static class CoreConfig
{
    /// <summary>
    /// The sequencer, the applier and the journal actor run on this dispatcher: one at a time
    /// (<see cref="SerialExecutorFactory"/>, on the .NET thread pool). Prep reads the tree the applier mutates (as
    /// ZooKeeper's PrepRequestProcessor reads its DataTree) and the tree is not thread-safe, so those two must never
    /// run at once. Running the write path's hops in turn on one queue also makes each hand-off (applier →
    /// sequencer → journal) a queue entry rather than a thread wake-up, which is what a write's latency is made of.
    /// </summary>
    public const string CoreDispatcherId = "coord.core-dispatcher";

    /// <summary>Session actors: the thread pool, with a longer turn than Akka's default 30.</summary>
    public const string SessionDispatcherId = "coord.session-dispatcher";

    public static Config Defaults { get; } = ConfigurationFactory.ParseString("""
        coord.core-dispatcher {
          type = Dispatcher
          executor = "Coord.Actors.Core.SerialExecutorFactory, Coord.Actors"
          # Messages per turn before the other actor's mailbox gets the thread.
          throughput = 100
        }
        coord.session-dispatcher {
          type = Dispatcher
          executor = default-executor
          # A session actor drains a burst of replies in one turn, then flushes them in one socket write.
          throughput = 512
        }
        """);

    /// <summary>Adds <see cref="Defaults"/> under the system's own settings.</summary>
    public static void Inject(ActorSystem system) => system.Settings.InjectTopLevelFallback(Defaults);
}

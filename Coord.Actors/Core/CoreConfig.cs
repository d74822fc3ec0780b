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
    /// The sequencer and the applier run on this dispatcher: one dedicated thread. Prep reads the tree the applier
    /// mutates (as ZooKeeper's PrepRequestProcessor reads its DataTree) and the tree is not thread-safe, so the
    /// two must never run at once; one thread for both also keeps the hand-offs between them cheap.
    /// </summary>
    public const string CoreDispatcherId = "coord.core-dispatcher";

    public static Config Defaults { get; } = ConfigurationFactory.ParseString("""
        coord.core-dispatcher {
          type = ForkJoinDispatcher
          executor = fork-join-executor
          # Messages per turn before the thread looks at the other actor's mailbox.
          throughput = 100
          dedicated-thread-pool {
            thread-count = 1
            threadtype = background
          }
        }
        """);

    /// <summary>Adds <see cref="Defaults"/> under the system's own settings.</summary>
    public static void Inject(ActorSystem system) => system.Settings.InjectTopLevelFallback(Defaults);
}

/// <summary>
/// Asserts that the actors sharing the tree run on one thread (the core dispatcher). A mis-configured
/// dispatcher would otherwise turn into data races on the tree; this turns it into a loud stop instead.
/// </summary>
public sealed class CoreThreadGuard
{
    private int _threadId;

    public void Check(string who)
    {
        int current = Environment.CurrentManagedThreadId;
        int first = Interlocked.CompareExchange(ref _threadId, current, 0);
        if (first != 0 && first != current)
            throw new InvalidOperationException(
                $"the {who} ran on thread {current} but the core runs on thread {first}: '{CoreConfig.CoreDispatcherId}' must have one thread");
    }
}

/// <summary>Counters the core keeps for mntr and benchmarks; thread-safe, cheap (one interlocked add each).</summary>
public sealed class CoreCounters
{
    private long _journalBatches;
    private long _journalTxns;

    public long JournalBatches => Interlocked.Read(ref _journalBatches);
    public long JournalTxns => Interlocked.Read(ref _journalTxns);

    public void JournalBatch(int txns)
    {
        Interlocked.Increment(ref _journalBatches);
        Interlocked.Add(ref _journalTxns, txns);
    }
}

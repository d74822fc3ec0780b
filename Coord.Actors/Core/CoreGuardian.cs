using Akka.Actor;
using Coord.Actors.Applier;
using Coord.Actors.Ensemble;
using Coord.Actors.Replication;
using Coord.Actors.Journal;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
using Coord.Actors.Settings;
using Coord.Actors.Time;
using Coord.Actors.Tree;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Core;

/// <summary>Everything the core of one member is built from; the host fills it after recovery.</summary>
public sealed record CoreParts(
    CoordSettings Settings,
    IClock Clock,
    IJournal Journal,
    DataTree Tree,
    SnapshotStore? Snapshots,
    IConnectionDirectory Connections,
    Func<byte[]> NewPassword,
    ILoggerFactory Loggers,
    long FirstSessionId,
    long Epoch = 0,
    long CounterMax = ZxidAllocator.CounterMaxDefault,
    EnsembleParts? Ensemble = null);

/// <summary>
/// What a member of an ensemble adds: the member list and timing, where the other members' replication actors
/// are, what its disk holds (epochs and the journal's tail after the newest snapshot), and a number that grows
/// across restarts (link ids).
/// </summary>
public sealed record EnsembleParts(ReplicationConfig Config, EnsemblePeers Peers, DurableState Durable, long Incarnation,
    Action<RoleChanged>? OnRoleChanged = null, Action<EnsembleStatus>? OnStatus = null);

/// <summary>Starts a member's core in an ActorSystem.</summary>
public static class CoreStart
{
    /// <summary>Starts a member's core under <paramref name="system"/> and returns its actors once they exist.</summary>
    public static async Task<CoreRefs> StartAsync(ActorSystem system, CoreParts parts, Action<Exception> onFatal, string name = "core")
    {
        CoreConfig.Inject(system);
        var counters = new CoreCounters();
        var guardian = system.ActorOf(Props.Create(() => new CoreGuardian(parts, counters, onFatal)), name);
        return await guardian.Ask<CoreRefs>(CoreGuardian.GetRefs.Instance, TimeSpan.FromSeconds(30));
    }
}

/// <summary>The core's actors, as the host and specs address them.</summary>
public sealed record CoreRefs(IActorRef Guardian, IActorRef Applier, IActorRef Sequencer, IActorRef Journal, CoreCounters Counters);

/// <summary>
/// Parent and supervisor of one member's core: the journal, the applier (with its session actors) and the
/// sequencer. Supervision with intent: a failure of any of them is a broken invariant or a journal that can no
/// longer persist, never something a restart could mend without losing track of what was acknowledged. So the
/// guardian logs one line with the cause, stops every core actor (the applier's stop stops its session actors,
/// which close their connections), and reports the failure through <c>onFatal</c>; the host then exits non-zero.
/// </summary>
public sealed partial class CoreGuardian : ReceiveActor
{
    private readonly ILogger _log;
    private readonly Action<Exception> _onFatal;

    public CoreGuardian(CoreParts parts, CoreCounters counters, Action<Exception> onFatal)
    {
        _log = parts.Loggers.CreateLogger("Coord.Core");
        _onFatal = onFatal;
        var thread = new CoreThreadGuard();
        var settings = parts.Settings;
        if (parts.Ensemble is { } ensemble)
        {
            Refs = StartMember(parts, ensemble, counters, thread);
            Receive<GetRefs>(_ => Sender.Tell(Refs));
            return;
        }
        var applier = Context.ActorOf(ApplierActor.Props(settings, parts.Tree, parts.Connections, parts.FirstSessionId,
            parts.NewPassword, thread, parts.Loggers.CreateLogger("Coord.Applier"), parts.Snapshots), "applier");
        var journal = Context.ActorOf(JournalActor.Props(parts.Journal, applier, counters, parts.Loggers.CreateLogger("Coord.Journal")), "journal");
        var core = new SequencerCore(settings, parts.Tree, Math.Max(parts.Epoch, JournalRecord.EpochOf(parts.Tree.LastAppliedZxid)),
            parts.Clock.MonotonicMs, parts.CounterMax);
        var sequencer = Context.ActorOf(SequencerActor.Props(core, parts.Clock, journal, thread, parts.Loggers.CreateLogger("Coord.Sequencer")), "sequencer");
        // Told before any client can reach the applier: the host starts listening only after this actor exists.
        applier.Tell(new ApplierWiring(sequencer, journal));
        Refs = new CoreRefs(Self, applier, sequencer, journal, counters);
        Receive<GetRefs>(_ => Sender.Tell(Refs));
    }

    private CoreRefs Refs { get; }

    /// <summary>
    /// An ensemble member: the applier (not serving until its member is synced), the replica journal carrying out the
    /// replication core's persists, and the replication actor, which runs the sequencer while this member leads.
    /// </summary>
    private CoreRefs StartMember(CoreParts parts, EnsembleParts ensemble, CoreCounters counters, CoreThreadGuard thread)
    {
        var settings = parts.Settings;
        var holder = new TreeHolder(parts.Tree);
        var applier = Context.ActorOf(ApplierActor.Props(settings, parts.Tree, parts.Connections, parts.FirstSessionId,
            parts.NewPassword, thread, parts.Loggers.CreateLogger("Coord.Applier"), parts.Snapshots), "applier");
        var journal = Context.ActorOf(ReplicaJournalActor.Props(parts.Journal, parts.Snapshots, applier, holder, counters,
            parts.Loggers.CreateLogger("Coord.Journal")), "journal");
        var core = new ReplicationCore(ensemble.Config, ensemble.Durable, ensemble.Incarnation, parts.Clock.MonotonicMs);
        var lease = new ServingLease(parts.Clock);
        var replication = Context.ActorOf(ReplicationActor.Props(core, ensemble.Peers, parts.Clock, settings, holder, applier, journal,
            thread, parts.Loggers, ensemble.OnRoleChanged, ensemble.OnStatus, lease), "replication");
        journal.Tell(new ReplicaJournalWiring(replication));
        applier.Tell(new ApplierWiring(replication, journal, Ensemble: true, lease));
        return new CoreRefs(Self, applier, replication, journal, counters);
    }

    /// <summary>Asks the guardian for its <see cref="CoreRefs"/>.</summary>
    public sealed record GetRefs
    {
        public static readonly GetRefs Instance = new();
    }

    protected override SupervisorStrategy SupervisorStrategy() => new FatalStrategy(this);

    private void Fatal(IActorRef child, Exception cause)
    {
        LogFatal(_log, child.Path.Name, cause);
        foreach (var c in Context.GetChildren()) Context.Stop(c);
        _onFatal(cause);
    }

    /// <summary>Any failure below the guardian: one log line, every core actor stopped, the host told.</summary>
    private sealed class FatalStrategy(CoreGuardian guardian) : OneForOneStrategy(_ => Directive.Stop)
    {
        protected override void LogFailure(IActorContext context, IActorRef child, Exception cause, Directive directive) =>
            guardian.Fatal(child, cause);
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Critical, Message = "The {Actor} failed; the server stops: it can no longer persist or keep its invariants")]
    private static partial void LogFatal(ILogger log, string actor, Exception error);
}

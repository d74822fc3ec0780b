using Akka.Actor;
using Coord.Actors.Core;
using Coord.Actors.Journal;
using Coord.Actors.Sessions;
using Coord.Actors.Time;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Sequencer;

/// <summary>
/// The thin shell around <see cref="SequencerCore"/> on the leader (standalone: the only member). It feeds the
/// core the writes, session requests and touches it receives, with the clock's time, and sends what the core
/// decided to the journal: one <see cref="AppendTxns"/> per message it handled, so a burst of writes forwarded
/// together (<see cref="ForwardedWrites"/>) is one append; the journal keeps one append in flight and groups
/// what arrives meanwhile, so a slow fsync makes the next batch bigger (group commit).
/// Runs on the core dispatcher, the same single thread as the applier, because prep reads the applier's tree.
/// Failure: any exception is a broken invariant; the core guardian stops the server.
/// </summary>
public sealed partial class SequencerActor : ReceiveActor
{
    private readonly SequencerCore _core;
    private readonly IClock _clock;
    private readonly IActorRef _journal;
    private readonly CoreThreadGuard _thread;
    private readonly ILogger _log;

    public SequencerActor(SequencerCore core, IClock clock, IActorRef journal, CoreThreadGuard thread, ILogger log)
    {
        _core = core;
        _clock = clock;
        _journal = journal;
        _thread = thread;
        _log = log;
        Receive<ForwardedWrites>(m =>
        {
            long now = _clock.MonotonicMs, wall = _clock.WallMs;
            foreach (var request in m.Requests) _core.Write(request, now, wall, m.Origin);
            Decided();
        });
        Receive<Applied>(m => _core.Applied(m.Zxid));
        Receive<SessionsTouched>(m =>
        {
            long now = _clock.MonotonicMs;
            foreach (long id in m.SessionIds) _core.Touch(id, now);
            _core.Tick(now, _clock.WallMs);
            Decided();
        });
        Receive<CreateSessionRequest>(m =>
        {
            _core.CreateSession(m.SessionId, m.TimeoutMs, m.Password, _clock.MonotonicMs, _clock.WallMs, m.Origin);
            Decided();
        });
        Receive<SessionRevalidation>(m =>
            Sender.Tell(new SessionRevalidated(m.SessionId, m.ConnectionId,
                _core.Touch(m.SessionId, _clock.MonotonicMs, m.TimeoutMs, newOwner: m.Origin)) { Origin = m.Origin }));
        Receive<ExpiryQuery>(_ => Sender.Tell(new ExpiryReport(_core.ExpiryBuckets().ToList(), _core.Epoch, _core.LastZxid)));
    }

    public static Props Props(SequencerCore core, IClock clock, IActorRef journal, CoreThreadGuard thread, ILogger log) =>
        Akka.Actor.Props.Create(() => new SequencerActor(core, clock, journal, thread, log)).WithDispatcher(CoreConfig.CoreDispatcherId);

    protected override bool AroundReceive(Receive receive, object message)
    {
        _thread.Enter("sequencer");
        try { return base.AroundReceive(receive, message); }
        finally { _thread.Exit(); }
    }

    /// <summary>After a call into the core: log what needs a line, and send what it decided to the journal.</summary>
    private void Decided()
    {
        if (_core.Output.IsEmpty) return;
        var output = _core.TakeOutput();
        foreach (var (op, error) in output.PrepFailures) LogPrepBug(_log, op, error);
        foreach (long id in output.Expired) LogExpiring(_log, id);
        _journal.Tell(new AppendTxns(output.Txns, output.EpochStarts.Count == 0 ? null : output.EpochStarts), ActorRefs.NoSender);
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Error, Message = "Prep failed on a {Op} request; answered MARSHALLINGERROR")]
    private static partial void LogPrepBug(ILogger log, Protocol.OpCode op, Exception error);

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Session 0x{SessionId:x} expired")]
    private static partial void LogExpiring(ILogger log, long sessionId);
}

using Akka.Actor;
using Coord.Actors.Faults;
using Coord.Actors.Applier;
using Coord.Actors.Core;
using Coord.Actors.Journal;
using Coord.Actors.Replication;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
using Coord.Actors.Settings;
using Coord.Actors.Time;
using Coord.Actors.Tree;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Ensemble;

/// <summary>Where to reach each other member's replication actor (Akka.Remote paths), by member id.</summary>
public sealed record EnsemblePeers(IReadOnlyDictionary<long, string> Paths);

/// <summary>
/// A hint from the transport or failure detection that a member is gone (its Akka.Remote association dropped, e.g.
/// its process died): if it is this member's leader, look for another now instead of after the sync limit.
/// Never used for safety: a wrong hint costs an election, nothing else.
/// </summary>
public sealed record PeerUnreachable(long Member);

/// <summary>Asks the replication actor for an <see cref="EnsembleStatus"/> (srvr, mntr).</summary>
public sealed record EnsembleStatusQuery
{
    public static readonly EnsembleStatusQuery Instance = new();
}

/// <summary>What srvr/stat/mntr say about the ensemble.</summary>
public sealed record EnsembleStatus(
    PeerState State, bool Serving, long LeaderId, long Epoch, long LastZxid, long CommittedZxid,
    int Learners, int SyncedFollowers, int SyncedObservers, int PendingSyncs,
    IReadOnlyList<(long Member, bool Observer, bool Synced, long Acked)> LearnerDetails, long Elections,
    long PeerMessagesSent = 0, long PeerMessagesReceived = 0);

/// <summary>
/// The actor shell of <see cref="ReplicationCore"/> on one member: feeds it peer messages, ticks and durability
/// reports, and carries out its effects — sends to the other members' replication actors over Akka.Remote, persists
/// through the <see cref="ReplicaJournalActor"/>, committed txns and serving changes to the applier (through the
/// replica journal, so none overtakes a tree change). On the leader it runs the sequencer as a child while the
/// leader is established: writes, new sessions and touches from the local applier and from other members reach it
/// here; its txns become proposals. On a learner, the same messages from the local applier are forwarded to the
/// leader on the ordered link. Runs on the core dispatcher with the applier (the sequencer reads the tree).
/// </summary>
public sealed partial class ReplicationActor : ReceiveActor, IWithTimers
{
    private readonly ReplicationCore _core;
    private readonly IClock _clock;
    private readonly CoordSettings _settings;
    private readonly TreeHolder _tree;
    private readonly IActorRef _applier;
    private readonly IActorRef _journal;
    private readonly CoreThreadGuard _thread;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly Dictionary<long, IActorRef> _peers = new();
    private readonly Action<RoleChanged>? _onRoleChanged;
    private readonly Action<EnsembleStatus>? _onStatus;
    private readonly ServingLease? _lease;
    private IActorRef? _sequencer;
    private long _elections;
    private long _peerSent, _peerReceived;

    public ITimerScheduler Timers { get; set; } = null!;

    public ReplicationActor(ReplicationCore core, EnsemblePeers peers, IClock clock, CoordSettings settings, TreeHolder tree,
        IActorRef applier, IActorRef journal, CoreThreadGuard thread, ILoggerFactory loggers, Action<RoleChanged>? onRoleChanged = null,
        Action<EnsembleStatus>? onStatus = null, ServingLease? lease = null)
    {
        _lease = lease;
        _onRoleChanged = onRoleChanged;
        _onStatus = onStatus;
        _core = core;
        _clock = clock;
        _settings = settings;
        _tree = tree;
        _applier = applier;
        _journal = journal;
        _thread = thread;
        _loggers = loggers;
        _log = loggers.CreateLogger("Coord.Replication");
        // A remote ref made from the path (no round trip; a message to a member that is down goes to dead letters, as
        // any message to it would), not an ActorSelection: a selection wraps every message in a SelectionEnvelope that
        // Akka.Remote serializes, copies and parses once more on each side, and walks the path on arrival.
        var provider = ((ExtendedActorSystem)Context.System).Provider;
        foreach (var (id, path) in peers.Paths) _peers[id] = provider.ResolveActorRef(path);

        Receive<PeerEnvelope>(m =>
        {
            _peerReceived++;
            if (m.Message is SnapChunk c && (c.Index == 0 || c.Index == c.Count - 1)) LogSnapChunkIn(_log, m.From, c.Index + 1, c.Count);
            _core.Step(m.From, m.Message, _clock.MonotonicMs);
        });
        Receive<PeerBatch>(b =>
        {
            _peerReceived++;
            long now = _clock.MonotonicMs;
            foreach (var message in b.Messages) _core.Step(b.From, message, now);
        });
        Receive<FlushPeers>(_ =>
        {
            _flushQueued = false;
            FlushAll();
        });
        Receive<Tick>(_ =>
        {
            _core.Tick(_clock.MonotonicMs);
            StopUnwantedProducers();
        });
        Receive<PeerUnreachable>(m => _core.PeerUnreachable(m.Member, _clock.MonotonicMs));
        Receive<PersistedOps>(m =>
        {
            long now = _clock.MonotonicMs;
            for (int i = 0; i < m.Count; i++) _core.Persisted(now);
        });
        Receive<TreeSnapshot>(OnTreeCaptured);
        Receive<SnapshotStreamStarted>(OnSnapshotStreamStarted);
        Receive<SnapshotChunkMade>(OnSnapshotChunkMade);
        Receive<SnapshotStreamFailed>(m =>
        {
            if (!IsCurrent(m.Producer)) return;
            StopProducer(m.Producer.Member);
            LogSnapshotFailed(_log, m.Producer.Member, m.Error);
        });
        Receive<AppendTxns>(OnProposed);
        // From the local applier: to the sequencer here (leader) or the leader (learner).
        Receive<ForwardedWrites>(m => ToSequencer(m));
        Receive<CreateSessionRequest>(m => ToSequencer(m));
        Receive<SessionsTouched>(m => ToSequencer(m));
        Receive<SessionRevalidation>(m => ToSequencer(m));
        // The sequencer's verdict (it runs here only on the leader): to the applier here, or over the link to the member that asked.
        Receive<SessionRevalidated>(v =>
        {
            if (v.Origin == _core.Config.SelfId) _journal.Tell(new ToApplier(v));
            else _core.ReplyAfterCommit(v.Origin, v, afterZxid: 0); // false: that member is not synced, so not serving either
        });
        Receive<Applied>(m =>
        {
            if (_sequencer is null) MaybeStartSequencer();
            else _sequencer.Tell(m);
        });
        Receive<ExpiryQuery>(m =>
        {
            if (_sequencer is not null) _sequencer.Forward(m);
            else Sender.Tell(new ExpiryReport([], _core.Epoch, _core.LastZxid));
        });
        Receive<EnsembleStatusQuery>(_ => Sender.Tell(Status()));
        Receive<PublishStatus>(_ => _onStatus?.Invoke(Status()));
    }

    public static Props Props(ReplicationCore core, EnsemblePeers peers, IClock clock, CoordSettings settings, TreeHolder tree,
        IActorRef applier, IActorRef journal, CoreThreadGuard thread, ILoggerFactory loggers, Action<RoleChanged>? onRoleChanged = null,
        Action<EnsembleStatus>? onStatus = null, ServingLease? lease = null) =>
        Akka.Actor.Props.Create(() => new ReplicationActor(core, peers, clock, settings, tree, applier, journal, thread, loggers, onRoleChanged, onStatus, lease))
            .WithDispatcher(CoreConfig.CoreDispatcherId);

    /// <summary>A failing sequencer is a broken invariant: the core guardian stops the server.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    /// <summary>Time to hand the figures to whoever reads them outside the actor (srvr, mntr, /ready).</summary>
    private sealed record PublishStatus
    {
        public static readonly PublishStatus Instance = new();
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    protected override void PreStart()
    {
        var timing = _core.Config.Timing;
        int every = Math.Max(5, Math.Min(timing.ElectionResendMs, timing.HeartbeatMs) / 2);
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromMilliseconds(every));
        if (_onStatus is not null) Timers.StartPeriodicTimer("status", PublishStatus.Instance, TimeSpan.FromMilliseconds(250));
        LogStarted(_log, _core.Config.SelfId, _core.Config.Members.Count, _core.AcceptedEpoch, _core.CurrentEpoch, _core.LastZxid);
        Execute();
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        _thread.Enter("replication");
        try
        {
            bool handled = base.AroundReceive(receive, message);
            Execute();
            _lease?.Set(_core.ServingLeaseUntilMs);
            return handled;
        }
        finally { _thread.Exit(); }
    }

    private void ToSequencer(object m)
    {
        if (_core.State == PeerState.Leading)
        {
            TellSequencer(FromMember(m, _core.Config.SelfId));
            return;
        }
        // A learner forwards on the ordered link; when it is not synced the applier is not serving either and the
        // client's connection is being closed, so the request is dropped with it.
        _core.Forward(m);
    }

    /// <summary>
    /// Names the member a request for the sequencer came from (the link it arrived on, or this member): the session
    /// tracker keeps each session's owner and refuses writes from a member the session has left (SESSIONMOVED).
    /// </summary>
    private static object FromMember(object m, long member) => m switch
    {
        ForwardedWrites f => f with { Origin = member },
        CreateSessionRequest c => c with { Origin = member },
        SessionRevalidation r => r with { Origin = member },
        _ => m,
    };

    /// <summary>The running snapshot producers of this leader, by learner (one link each).</summary>
    private readonly Dictionary<long, SnapshotProducer> _producers = new();

    /// <summary>Chunks a producer may cut ahead of what the core sent: enough that the next chunk is ready when an acknowledgement opens the window.</summary>
    private const int SnapshotChunksAheadMax = 2;

    /// <summary>
    /// The applier's image of the tree for a learner's SNAP: serialized on a background thread straight into chunks of the
    /// configured size (<see cref="SnapshotProducer"/>), which the core streams a window at a time as they are cut.
    /// </summary>
    private void OnTreeCaptured(TreeSnapshot m)
    {
        StopProducer(m.Member);
        if (!_core.WaitsForSnapshot(m.Member, m.LinkId)) return;
        _producers[m.Member] = SnapshotProducer.Start(m.Image, m.Member, m.LinkId, _core.Config.SnapshotChunkBytes, SnapshotChunksAheadMax, Self);
    }

    private bool IsCurrent(SnapshotProducer p) => _producers.TryGetValue(p.Member, out var current) && ReferenceEquals(current, p);

    private void OnSnapshotStreamStarted(SnapshotStreamStarted m)
    {
        if (!IsCurrent(m.Producer)) return;
        LogSnapshotStreaming(_log, m.Producer.Member, m.Zxid, m.Bytes, m.Count);
        if (!_core.SnapshotStarted(m.Producer.Member, m.Producer.LinkId, m.Zxid, m.Count, _clock.MonotonicMs)) StopProducer(m.Producer.Member);
    }

    private void OnSnapshotChunkMade(SnapshotChunkMade m)
    {
        if (!IsCurrent(m.Producer)) return;
        if (!_core.SnapshotChunkReady(m.Producer.Member, m.Producer.LinkId, m.Index, m.Chunk, _clock.MonotonicMs)) StopProducer(m.Producer.Member);
    }

    private void StopProducer(long member)
    {
        if (_producers.Remove(member, out var p)) p.Cancel();
    }

    /// <summary>A producer whose link no longer waits for its snapshot (dropped, replaced) would wait forever for room: stop it.</summary>
    private void StopUnwantedProducers()
    {
        if (_producers.Count == 0) return;
        foreach (var (member, p) in _producers.ToList())
            if (!_core.WaitsForSnapshot(member, p.LinkId)) StopProducer(member);
    }

    /// <summary>A snapshot chunk left the core: its producer may cut one more; after the last one it is done.</summary>
    private void ChunkSent(long to, SnapChunk c)
    {
        if (!_producers.TryGetValue(to, out var p) || p.LinkId != c.LinkId) return;
        if (c.Index == c.Count - 1) _producers.Remove(to);
        else p.Sent();
    }

    protected override void PostStop()
    {
        foreach (var p in _producers.Values) p.Cancel();
        _producers.Clear();
        base.PostStop();
    }

    private void OnProposed(AppendTxns m)
    {
        if (m.EpochStarts is { Count: > 0 })
            throw new InvalidOperationException("the zxid counter of the leader's epoch is exhausted; an ensemble needs a new election for a new epoch");
        if (_core.State != PeerState.Leading || !_core.Serving) return; // stepped down meanwhile: never proposed, never answered
        _core.Propose(m.Txns, _clock.MonotonicMs);
    }

    /// <summary>Carries out what the core decided, in order.</summary>
    private void Execute()
    {
        if (!_core.HasEffects) return;
        bool commitPointHit = false;
        foreach (var effect in _core.TakeEffects())
        {
            switch (effect)
            {
                case Send s:
                    if (Failpoints.Enabled && s.Message is Commit && !commitPointHit)
                    {
                        commitPointHit = true;
                        FlushAll(); // what was sent before the commit leaves before the crash
                        Failpoints.Hit(Failpoints.LeaderBeforeCommit);
                    }
                    if (s.Message is SnapChunk sc)
                    {
                        ChunkSent(s.To, sc);
                        if (sc.Index == 0 || sc.Index == sc.Count - 1) LogSnapChunkOut(_log, s.To, sc.Index + 1, sc.Count);
                    }
                    SendPeer(s.To, s.Message);
                    if (Failpoints.Enabled && s.Message is Ack)
                    {
                        FlushPeer(s.To); // the ack has left when the point is hit
                        Failpoints.Hit(Failpoints.LearnerAfterAck);
                    }
                    break;
                case Apply a:
                    if (Failpoints.Enabled && _core.State != PeerState.Leading) Failpoints.Hit(Failpoints.LearnerBeforeApply);
                    _journal.Tell(new ToApplier(new Committed(a.Txns)));
                    break;
                case TakeSnapshot t:
                    _applier.Tell(new TreeSnapshotRequest(t.Member, t.LinkId));
                    break;
                case RoleChanged r:
                    OnRoleChanged(r);
                    break;
                case StillLooking l:
                    LogStillLooking(_log, l.ForMs, l.Round, l.Vote, l.Heard);
                    break;
                case Delivered d:
                    OnDelivered(d);
                    break;
                default:
                    _journal.Tell(effect); // persists, in order
                    break;
            }
        }
    }

    private void OnRoleChanged(RoleChanged r)
    {
        LogRole(_log, r.State, r.LeaderId, r.Epoch, r.Serving, r.Reason);
        _onRoleChanged?.Invoke(r);
        _onStatus?.Invoke(Status() with { State = r.State, Serving = r.Serving, LeaderId = r.LeaderId, Epoch = r.Epoch });
        if (r.State == PeerState.Looking) _elections++;
        bool lead = r.State == PeerState.Leading && r.Serving;
        if (!lead)
        {
            if (_sequencer is not null) Context.Stop(_sequencer);
            _sequencer = null;
            _sequencerDue = null;
            _sequencerBacklog = null;
        }
        _journal.Tell(new ToApplier(new ServingChanged(r.Serving, r.Reason)));
        if (lead && _sequencer is null)
        {
            _sequencerDue = (r.Epoch, _core.CommittedZxid);
            MaybeStartSequencer();
        }
    }

    /// <summary>A new leader's sequencer waits for the initial history to be applied, with what reached it meanwhile.</summary>
    private (long Epoch, long ReadyAt)? _sequencerDue;
    private List<object>? _sequencerBacklog;

    private void TellSequencer(object m)
    {
        if (_sequencer is not null) _sequencer.Tell(m);
        else if (_sequencerDue is not null) (_sequencerBacklog ??= new()).Add(m);
    }

    /// <summary>
    /// Starts the sequencer of a new leader once its tree has applied the whole initial history (sent to the applier
    /// with the establishment): prep validates against that tree and the session tracker starts from its sessions, so
    /// a session or node created in the tail this leader commits on taking over must be there first.
    /// </summary>
    private void MaybeStartSequencer()
    {
        if (_sequencerDue is not { } due || _sequencer is not null || _tree.Tree.LastAppliedZxid < due.ReadyAt) return;
        var core = new SequencerCore(_settings, _tree.Tree, due.Epoch, _clock.MonotonicMs, counterMax: ZxidAllocator.CounterMaxDefault);
        _sequencer = Context.ActorOf(SequencerActor.Props(core, _clock, Self, _thread, _loggers.CreateLogger("Coord.Sequencer")), $"sequencer-{due.Epoch}");
        _sequencerDue = null;
        if (_sequencerBacklog is { } backlog) foreach (var m in backlog) _sequencer.Tell(m);
        _sequencerBacklog = null;
    }

    private void OnDelivered(Delivered d)
    {
        switch (d.Payload)
        {
            case ForwardedWrites or CreateSessionRequest or SessionsTouched or SessionRevalidation:
                TellSequencer(FromMember(d.Payload, d.From));
                break;
            case SessionRevalidated v:
                _journal.Tell(new ToApplier(v));
                break;
            default:
                LogUnknownPayload(_log, d.From, d.Payload.GetType().Name);
                break;
        }
    }

    // ---- peer sends: gathered per member while the mailbox is worked through, then one Akka.Remote message each ----

    private sealed record FlushPeers
    {
        public static readonly FlushPeers Instance = new();
    }

    /// <summary>Messages for a member not yet handed to Akka.Remote, in the order the core sent them, and the proposals' txns among them.</summary>
    private sealed class Outbox
    {
        public readonly List<PeerMessage> Messages = [];
        public int ProposalTxns;
    }

    private readonly Dictionary<long, Outbox> _outbox = new();
    private bool _flushQueued;

    /// <summary>
    /// Queues <paramref name="message"/> for member <paramref name="to"/>; a <see cref="FlushPeers"/> to self, behind
    /// whatever the mailbox already holds, sends each member's queue as one message. So what the core sends while
    /// working through a run of messages (acks and forwarded writes, proposals and commits) crosses as one
    /// Akka.Remote message per member, and a lone message waits only for the messages that were already queued.
    /// A snapshot chunk goes at once, after what was queued for that member.
    /// </summary>
    private void SendPeer(long to, PeerMessage message)
    {
        if (!_peers.ContainsKey(to)) return;
        if (message is SnapChunk)
        {
            FlushPeer(to);
            TellPeer(to, new PeerEnvelope(_core.Config.SelfId, message));
            return;
        }
        if (!_outbox.TryGetValue(to, out var queued)) _outbox[to] = queued = new Outbox();
        if (message is Proposal p)
        {
            // A batch holds at most about one DIFF proposal's worth of txns, so it is no bigger a frame than one proposal.
            if (queued.Messages.Count > 0 && queued.ProposalTxns + p.Txns.Count > _core.Config.SyncBatchTxnsMax) FlushPeer(to);
            queued.ProposalTxns += p.Txns.Count;
        }
        queued.Messages.Add(message);
        if (_flushQueued) return;
        _flushQueued = true;
        Self.Tell(FlushPeers.Instance);
    }

    private void FlushPeer(long to)
    {
        if (!_outbox.TryGetValue(to, out var queued) || queued.Messages.Count == 0) return;
        object envelope = queued.Messages.Count == 1
            ? new PeerEnvelope(_core.Config.SelfId, queued.Messages[0])
            : new PeerBatch(_core.Config.SelfId, queued.Messages.ToArray());
        queued.Messages.Clear();
        queued.ProposalTxns = 0;
        TellPeer(to, envelope);
    }

    private void FlushAll()
    {
        foreach (long to in _outbox.Keys) FlushPeer(to);
    }

    private void TellPeer(long to, object envelope)
    {
        _peers[to].Tell(envelope, ActorRefs.NoSender);
        _peerSent++;
    }

    private EnsembleStatus Status() => new(_core.State, _core.Serving, _core.LeaderId, _core.Epoch, _core.LastZxid, _core.CommittedZxid,
        _core.LearnerCount, _core.SyncedFollowerCount, _core.SyncedObserverCount, _core.PendingSyncCount, _core.Learners.ToList(), _elections, _peerSent, _peerReceived);

    [LoggerMessage(EventId = 1700, Level = LogLevel.Information, Message = "Replication: member {Id} of {Members} starting (acceptedEpoch {Accepted}, currentEpoch {Current}, last zxid 0x{Last:x})")]
    private static partial void LogStarted(ILogger log, long id, int members, long accepted, long current, long last);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "Replication: {State} (leader {Leader}, epoch {Epoch}, serving {Serving}): {Reason}")]
    private static partial void LogRole(ILogger log, PeerState state, long leader, long epoch, bool serving, string reason);

    [LoggerMessage(EventId = 1706, Level = LogLevel.Warning, Message = "Replication: still looking for a leader after {ForMs} ms (round {Round}; voting for {Vote}; heard {Heard})")]
    private static partial void LogStillLooking(ILogger log, long forMs, long round, string vote, string heard);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Information, Message = "Replication: sending member {Member} the snapshot at 0x{Zxid:x} ({Bytes} bytes) in {Chunks} chunks, serialized as they go")]
    private static partial void LogSnapshotStreaming(ILogger log, long member, long zxid, long bytes, int chunks);

    [LoggerMessage(EventId = 1707, Level = LogLevel.Error, Message = "Replication: serializing the snapshot for member {Member} failed; its sync waits out the init limit")]
    private static partial void LogSnapshotFailed(ILogger log, long member, Exception error);

    [LoggerMessage(EventId = 1704, Level = LogLevel.Information, Message = "SNAP: chunk {Index}/{Count} from member {From} arrived")]
    private static partial void LogSnapChunkIn(ILogger log, long from, int index, int count);

    [LoggerMessage(EventId = 1705, Level = LogLevel.Information, Message = "SNAP: chunk {Index}/{Count} to member {To} sent")]
    private static partial void LogSnapChunkOut(ILogger log, long to, int index, int count);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Error, Message = "Replication: member {From} sent a payload this member does not know ({Type}); dropped")]
    private static partial void LogUnknownPayload(ILogger log, long from, string type);
}

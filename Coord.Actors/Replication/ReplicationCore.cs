using Coord.Actors.Txns;

namespace Coord.Actors.Replication;

/// <summary>
/// One member's side of Zab-style replication as a pure state machine: election, discovery (a new epoch),
/// sync (DIFF, TRUNC, SNAP), broadcast and commit. Inputs are peer messages (<see cref="Step"/>), time
/// (<see cref="Tick"/>), durability reports (<see cref="Persisted"/>) and the host's own requests
/// (<see cref="Propose"/>, <see cref="Forward"/>, <see cref="ReplyAfterCommit"/>, <see cref="SnapshotTaken"/>);
/// every input appends what it decided to the effects that <see cref="TakeEffects"/> hands out (see
/// <see cref="ReplicationEffect"/> for the host's contract). No I/O, no clock, no randomness: the actor shell and
/// the deterministic simulator in the specs drive the same code.
/// <para>
/// Safety rests on quorums of the configured voters and on epochs: a leader picks epoch = max acceptedEpoch of a
/// quorum + 1, gives up if any member of that quorum has a newer history, syncs the quorum to its own history,
/// and serves only after a quorum acknowledged NEWLEADER; afterwards a txn is committed once a quorum (the
/// leader included) has it on disk. Links are numbered per direction, so a lost message breaks the link (the
/// learner looks again and re-syncs) instead of leaving a hole.
/// </para>
/// Not thread-safe: one caller.
/// </summary>
public sealed partial class ReplicationCore
{
    private readonly ReplicationConfig _config;
    private readonly long _self;
    private readonly int _quorum;
    private readonly long[] _others;
    private readonly List<ReplicationEffect> _effects = new();
    private readonly Queue<Action?> _pendingPersists = new();

    // Durable epochs (updated when the host reports them durable).
    private long _acceptedEpoch;
    private long _currentEpoch;
    // The highest epoch promised: durable or on its way to disk. Decisions (refusing an older leader, reporting to a
    // new one, choosing an epoch) use it, so a promise still in the persist queue is kept too.
    private long _acceptedEpochPromised;

    // The log: the window of recent txns (every uncommitted one and at least WindowTxnsMax committed ones),
    // preceded by _logBase (the zxid before _log[0]: a snapshot's or a trimmed entry's).
    private readonly TxnWindow _log;
    private long _logBase;
    private long _lastZxid;
    private long _durableZxid;
    private long _committed;
    private long _applied;
    private long _truncateFloor;
    private long _logGeneration; // bumped when the log is cut or replaced: durability reports from before no longer count

    private PeerState _state = PeerState.Looking;
    private bool _serving;
    private long _leaderId;
    private long _epoch;
    private long _linkCounter;
    private readonly long _incarnation;

    /// <param name="incarnation">Distinguishes this run of the member from earlier ones in its link ids (the shell passes something that grows across restarts, e.g. a start count or the wall clock in seconds).</param>
    public ReplicationCore(ReplicationConfig config, DurableState durable, long incarnation, long nowMs)
    {
        config.Validate();
        _config = config;
        _self = config.SelfId;
        _quorum = config.Quorum;
        _others = config.Members.Select(m => m.Id).Where(id => id != _self).ToArray();
        _log = new TxnWindow(config.WindowHotTxns);
        _acceptedEpoch = _acceptedEpochPromised = durable.AcceptedEpoch;
        _currentEpoch = durable.CurrentEpoch;
        _logBase = durable.TailAfterZxid;
        _truncateFloor = durable.TailAfterZxid;
        long last = _logBase;
        foreach (var t in durable.Tail)
        {
            if (t.Header.Zxid <= last) throw new ArgumentException($"the journal tail is out of order at 0x{t.Header.Zxid:x}");
            last = t.Header.Zxid;
            _log.Add(t);
        }
        _lastZxid = _durableZxid = _applied = last;
        _incarnation = incarnation & 0x7FFF_FFFF;
        StartLooking(nowMs, "started");
    }

    // ---- status, for the host and for mntr/srvr ----

    public PeerState State => _state;
    public bool Serving => _serving;
    public long LeaderId => _leaderId;
    public long Epoch => _epoch;
    public long AcceptedEpoch => _acceptedEpoch;
    public long CurrentEpoch => _currentEpoch;
    public long LastZxid => _lastZxid;
    public long CommittedZxid => _committed;
    public long AppliedZxid => _applied;
    public ReplicationConfig Config => _config;

    /// <summary>
    /// Until when this member may still answer reads from its own tree: a learner heard from its leader, a leader from a
    /// quorum (itself included), within the sync limit. Past it, the member has lost touch: it may be the stale side of
    /// a partition or have been paused, and serves nothing until the core looks again. 0 while not serving.
    /// </summary>
    public long ServingLeaseUntilMs
    {
        get
        {
            if (!_serving) return 0;
            if (_state != PeerState.Leading) return _lastHeardMs + _config.Timing.SyncLimitMs;
            var heard = new List<long>(_config.VoterCount);
            if (!_config.SelfIsObserver) heard.Add(long.MaxValue - _config.Timing.SyncLimitMs);
            foreach (var l in _links.Values)
                if (!l.Observer && l.Stage == LinkStage.Synced) heard.Add(l.LastHeardMs);
            if (heard.Count < _quorum) return 0;
            heard.Sort();
            return heard[heard.Count - _quorum] + _config.Timing.SyncLimitMs;
        }
    }

    /// <summary>Hands over what was decided since the last call, in order.</summary>
    public List<ReplicationEffect> TakeEffects()
    {
        var taken = new List<ReplicationEffect>(_effects);
        _effects.Clear();
        return taken;
    }

    public bool HasEffects => _effects.Count > 0;

    /// <summary>A planted bug for the simulator's self-check (specs only); never set in a server.</summary>
    internal PlantedBug Bug { get; set; }

    // ---- inputs ----

    /// <summary>A message from member <paramref name="from"/>. Messages from outside the member list are ignored.</summary>
    public void Step(long from, PeerMessage message, long nowMs)
    {
        if (from == _self || !_config.IsMember(from)) return;
        switch (message)
        {
            case Vote v:
                OnVote(from, v, nowMs);
                break;
            case LinkMessage m when _state == PeerState.Leading:
                LeaderStep(from, m, nowMs);
                break;
            case FollowerInfo early when _state == PeerState.Looking:
                // A member that decided before this one did (it saw every vote agree while this one waits out its
                // finalize time): kept, and taken up if this member becomes the leader, so the link opens at once.
                _earlyFollowerInfo[from] = early;
                break;
            case LinkMessage m when _state is PeerState.Following or PeerState.Observing:
                LearnerStep(from, m, nowMs);
                break;
        }
    }

    /// <summary>Time passed: resend votes, decide an election, heartbeats, and the init/sync limits.</summary>
    public void Tick(long nowMs)
    {
        switch (_state)
        {
            case PeerState.Looking:
                ElectionTick(nowMs);
                break;
            case PeerState.Leading:
                LeaderTick(nowMs);
                break;
            default:
                LearnerTick(nowMs);
                break;
        }
    }

    /// <summary>The oldest persist effect not yet reported is durable.</summary>
    public void Persisted(long nowMs)
    {
        if (_pendingPersists.Count == 0) throw new InvalidOperationException("Persisted reported with no persist pending");
        _pendingPersists.Dequeue()?.Invoke();
    }

    /// <summary>
    /// A hint from failure detection (a dropped connection, Akka.Cluster unreachable): if it is our leader, look for
    /// another now; a leader drops a learner's link on it only once that learner is silent too (see SuspectLearner).
    /// </summary>
    public void PeerUnreachable(long member, long nowMs)
    {
        if (_state is PeerState.Following or PeerState.Observing && member == _leaderId)
            StartLooking(nowMs, $"leader {member} is unreachable");
        else if (_state == PeerState.Leading) SuspectLearner(member, nowMs);
    }

    // ---- shared helpers ----

    private void Emit(ReplicationEffect e) => _effects.Add(e);

    private void Persist(ReplicationEffect e, Action? whenDurable)
    {
        _effects.Add(e);
        _pendingPersists.Enqueue(whenDurable);
    }

    private void ChangeRole(PeerState state, long leader, long epoch, bool serving, string reason)
    {
        bool changed = state != _state || serving != _serving || leader != _leaderId || epoch != _epoch;
        _state = state;
        _leaderId = leader;
        _epoch = epoch;
        _serving = serving;
        if (changed) Emit(new RoleChanged(state, leader, epoch, serving, reason));
    }

    private long NextLinkId() => (_incarnation << 32) | (uint)++_linkCounter;

    /// <summary>Appends txns to the window; the caller emits the persist.</summary>
    private void AppendToLog(IReadOnlyList<SequencedTxn> txns)
    {
        foreach (var t in txns)
        {
            long z = t.Header.Zxid;
            if (z <= _lastZxid) throw new InvalidOperationException($"txn 0x{z:x} is not after the log's last 0x{_lastZxid:x}");
            _log.Add(t);
            _lastZxid = z;
        }
    }

    /// <summary>Whether the zxid is in this member's history as far as the window can tell (the base counts).</summary>
    private bool Holds(long zxid) => zxid == _logBase || IndexOf(zxid) >= 0;

    private int IndexOf(long zxid) => _log.IndexOf(zxid);

    /// <summary>Index of the first entry with zxid greater than <paramref name="zxid"/>.</summary>
    private int FirstAfter(long zxid) => _log.FirstAfter(zxid);

    /// <summary>The largest zxid of the history at or below <paramref name="zxid"/>, or -1 when the window cannot tell.</summary>
    private long FloorOf(long zxid)
    {
        if (zxid < _logBase) return -1;
        int i = FirstAfter(zxid) - 1;
        return i >= 0 ? _log.ZxidAt(i) : _logBase;
    }

    private List<SequencedTxn> Slice(long afterZxid, long throughZxid)
    {
        int from = FirstAfter(afterZxid);
        int to = FirstAfter(throughZxid);
        return _log.GetRange(from, to - from);
    }

    /// <summary>Apply what is committed and held; then trim the window.</summary>
    private void ApplyCommitted()
    {
        long through = Math.Min(_committed, _lastZxid);
        if (through <= _applied) return;
        var txns = Slice(_applied, through);
        if (txns.Count > 0)
        {
            if (txns[0].Header.Zxid <= _applied) throw new InvalidOperationException("apply would repeat a txn");
            Emit(new Apply(txns));
        }
        _applied = through;
        TrimWindow();
    }

    private void TrimWindow()
    {
        int max = _config.WindowTxnsMax;
        long keepAbove = Math.Min(_applied, _committed);
        int settled = FirstAfter(keepAbove);
        _log.Freeze(settled);
        if (_log.Count <= max + max / 4) return;
        int drop = Math.Min(_log.Count - max, settled);
        if (drop <= 0) return;
        _logBase = _log.ZxidAt(drop - 1);
        _log.RemoveFront(drop);
    }

    /// <summary>Drops the tail after <paramref name="zxid"/> from the window.</summary>
    private void TruncateWindow(long zxid)
    {
        if (zxid < _logBase)
        {
            _log.Clear();
            _logBase = zxid;
        }
        else
        {
            int keep = FirstAfter(zxid);
            _log.RemoveFrom(keep);
        }
        _lastZxid = zxid;
        _logGeneration++;
        _durableZxid = Math.Min(_durableZxid, zxid);
        _applied = Math.Min(_applied, zxid);
    }
}

/// <summary>Deliberate mistakes the simulator must catch (its self-check); none is reachable from a server.</summary>
internal enum PlantedBug
{
    None,
    /// <summary>The leader commits what is on its own disk, without waiting for a quorum.</summary>
    CommitWithoutQuorum,
    /// <summary>A learner ignores TRUNC and keeps its divergent tail.</summary>
    IgnoreTruncate,
    /// <summary>A learner acknowledges a proposal when it arrives, before it is on disk.</summary>
    AckBeforeDurable,
}

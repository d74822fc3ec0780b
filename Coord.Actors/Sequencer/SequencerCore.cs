using Coord.Actors.Prep;
using Coord.Actors.Sessions;
using Coord.Actors.Settings;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Sequencer;

/// <summary>
/// The leader's decisions, free of I/O, clocks and randomness (time comes in as arguments): prep of writes
/// against the tree plus outstanding changes, zxid allocation as (epoch, counter) with the rollover check, the
/// session tracker (timeouts, expiry buckets, sessions closing) and container/TTL clean-up. Every call appends
/// what it decided to <see cref="Output"/>: self-contained txns in zxid order, each one's header naming the
/// session and cxid it answers (0/0 for the leader's own: expiry, clean-up), which the shell journals and the
/// applier on every member applies. Contract: one caller; the tree is the one the applier mutates, read here only
/// between applies (the shell and the applier share a thread); <see cref="Applied"/> reports the applier's
/// progress so prep's overlay can drop what the tree now shows.
/// </summary>
public sealed class SequencerCore
{
    private static readonly IReadOnlyList<Id> SuperIds = [new Id("super", "")];

    private readonly CoordSettings _settings;
    private readonly DataTree _tree;
    private readonly Preparer _prep;
    private readonly ZxidAllocator _zxids;
    private readonly ExpiryQueue _expiry;
    private readonly Dictionary<long, TrackedSession> _sessions = new();
    private long _nextCleanupMs;

    /// <param name="epoch">The epoch to sequence in: at least the last zxid's (a newer one was started and persisted).</param>
    /// <param name="counterMax">The counter limit of an epoch; lower than the default only in specs, to reach a rollover.</param>
    public SequencerCore(CoordSettings settings, DataTree tree, long epoch, long nowMs, long counterMax = ZxidAllocator.CounterMaxDefault)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _tree = tree ?? throw new ArgumentNullException(nameof(tree));
        _prep = new Preparer(tree, new PrepSettings(settings.Znode.ExtendedTypesEnabled));
        _zxids = new ZxidAllocator(tree.LastAppliedZxid, epoch, counterMax);
        _expiry = new ExpiryQueue(settings.TickMs);
        _nextCleanupMs = nowMs + settings.Znode.ContainerCheckIntervalMs;
        // Sessions restored with the tree (no client yet) start their timeout now.
        foreach (var s in tree.Sessions.Values)
        {
            _sessions[s.SessionId] = new TrackedSession(s.TimeoutMs);
            _expiry.Touch(s.SessionId, s.TimeoutMs, nowMs);
        }
    }

    /// <summary>What the calls since the last <see cref="TakeOutput"/> decided, in order (one instance, reused).</summary>
    public SequencerOutput Output { get; } = new();

    public long LastZxid => _zxids.Last;
    public long Epoch => _zxids.Epoch;

    /// <summary>Hands the decisions so far to the caller and starts a fresh output.</summary>
    public SequencerDecisions TakeOutput() => Output.Take();

    /// <summary>
    /// A client write (create, delete, setData, setACL, multi, closeSession) that came through member
    /// <paramref name="origin"/> (0: no ensemble). Any request of a session that is unknown or already closing becomes
    /// ErrorTxn(SESSIONEXPIRED), and one from a member the session has moved away from ErrorTxn(SESSIONMOVED), as
    /// ZooKeeper's checkSession(id, owner) decides: a write still on its way from the old member when the client went on
    /// elsewhere must not take effect after what the client did there. Either still takes a zxid, so the member that
    /// holds the request in its session's order gets an answer for it.
    /// </summary>
    public void Write(ClientRequest r, long nowMs, long wallMs, long origin = 0)
    {
        _sessions.TryGetValue(r.SessionId, out var session);
        if (session is { Closing: false }) _expiry.Touch(r.SessionId, session.TimeoutMs, nowMs);
        long zxid = NextZxid();
        Txn txn;
        if (session is null or { Closing: true }) txn = new ErrorTxn(ErrorCode.SessionExpired);
        else if (!session.OwnedBy(origin)) txn = new ErrorTxn(ErrorCode.SessionMoved);
        else if (r.Op == OpCode.CloseSession)
        {
            session.Closing = true;
            _expiry.Remove(r.SessionId);
            txn = _prep.PrepareCloseSession(r.SessionId, zxid);
        }
        else txn = PrepareSafely(r, zxid, wallMs);
        Emit(new SequencedTxn(new TxnHeader(r.SessionId, r.Xid, zxid, wallMs), txn));
    }

    /// <summary>Member <paramref name="origin"/> (0: no ensemble) asks for a new session with an id and password it chose (ids are unique per member).</summary>
    public void CreateSession(long sessionId, int timeoutMs, byte[] password, long nowMs, long wallMs, long origin = 0)
    {
        if (_sessions.ContainsKey(sessionId) || _tree.Sessions.ContainsKey(sessionId))
            throw new InvalidOperationException($"session 0x{sessionId:x} is created twice");
        _sessions[sessionId] = new TrackedSession(timeoutMs) { Owner = origin };
        _expiry.Touch(sessionId, timeoutMs, nowMs);
        long zxid = NextZxid();
        Emit(new SequencedTxn(new TxnHeader(sessionId, 0, zxid, wallMs), new CreateSessionTxn(sessionId, timeoutMs, password)));
    }

    /// <summary>
    /// Activity of a session seen by a member (reads, pings), or a re-attach with a newly negotiated timeout on member
    /// <paramref name="newOwner"/> (0: none, or no ensemble), from then on the only member its writes are taken from.
    /// False when the session is unknown or closing (expired or closed, perhaps not yet applied anywhere): a re-attach
    /// is refused.
    /// </summary>
    public bool Touch(long sessionId, long nowMs, int timeoutMs = 0, long newOwner = 0)
    {
        if (!_sessions.TryGetValue(sessionId, out var s) || s.Closing) return false;
        if (timeoutMs > 0) s.TimeoutMs = timeoutMs;
        if (newOwner != 0) s.Owner = newOwner;
        _expiry.Touch(sessionId, s.TimeoutMs, nowMs);
        return true;
    }

    /// <summary>Time passed: expire sessions whose bucket has ended, and delete empty containers and expired TTL nodes.</summary>
    public void Tick(long nowMs, long wallMs)
    {
        foreach (long id in _expiry.Expire(nowMs))
        {
            if (!_sessions.TryGetValue(id, out var s) || s.Closing) continue;
            s.Closing = true;
            Output.SessionExpired(id);
            long zxid = NextZxid();
            Emit(new SequencedTxn(new TxnHeader(id, 0, zxid, wallMs), _prep.PrepareCloseSession(id, zxid)));
        }
        if (nowMs < _nextCleanupMs) return;
        _nextCleanupMs = nowMs + _settings.Znode.ContainerCheckIntervalMs;
        int max = (int)Math.Max(1, (long)_settings.Znode.ContainerMaxPerMinute * _settings.Znode.ContainerCheckIntervalMs / 60_000);
        foreach (var path in ContainerScan.Candidates(_tree, wallMs, max))
        {
            // Deleting a container that gained a child meanwhile fails harmlessly (an error txn).
            long zxid = NextZxid();
            var txn = _prep.Prepare(OpCode.DeleteContainer, new PathRequest(path), new SessionContext(0, SuperIds), zxid, wallMs);
            Emit(new SequencedTxn(new TxnHeader(0, 0, zxid, wallMs), txn));
        }
    }

    /// <summary>The applier has applied every txn through <paramref name="zxid"/>; a session whose close is applied is forgotten.</summary>
    public void Applied(long zxid)
    {
        _prep.Applied(zxid);
        if (_closingApplied.Count == 0) return;
        while (_closingApplied.Count > 0 && _closingApplied.Peek().Zxid <= zxid) _sessions.Remove(_closingApplied.Dequeue().SessionId);
    }

    private readonly Queue<(long Zxid, long SessionId)> _closingApplied = new();

    /// <summary>Sessions by expiry time, for the dump four-letter word.</summary>
    public IEnumerable<(long ExpiresAtMs, IReadOnlyList<long> Sessions)> ExpiryBuckets() => _expiry.Buckets();

    private long NextZxid()
    {
        if (_zxids.TryNext(out long zxid)) return zxid;
        // The counter is exhausted: never reuse a zxid; sequencing goes on in a new epoch, which the shell
        // persists before any txn of it is journaled.
        _zxids.StartEpoch(_zxids.Epoch + 1);
        Output.EpochStarted(_zxids.Epoch);
        if (!_zxids.TryNext(out zxid)) throw new InvalidOperationException("a new epoch has no zxid to give");
        return zxid;
    }

    private void Emit(SequencedTxn txn)
    {
        if (txn.Body is CloseSessionTxn close) _closingApplied.Enqueue((txn.Header.Zxid, close.SessionId));
        Output.Add(txn);
    }

    private Txn PrepareSafely(ClientRequest r, long zxid, long wallMs)
    {
        try
        {
            return _prep.Prepare(r.Op, r.Record!, new SessionContext(r.SessionId, r.AuthIds), zxid, wallMs);
        }
        catch (Exception ex) when (ex is not InvalidOperationException)
        {
            // Prep must turn any client input into a txn; reaching here is a bug, answered as a marshalling error.
            Output.PrepFailed(r.Op, ex);
            return new ErrorTxn(ErrorCode.MarshallingError);
        }
    }

    private sealed class TrackedSession(int timeoutMs)
    {
        public int TimeoutMs { get; set; } = timeoutMs;
        public bool Closing { get; set; }

        /// <summary>The member the session is attached to, as far as this leader knows (0: not known yet, e.g. a session
        /// restored with a new leader's tree; its first write or re-attach names it, as ZooKeeper's session owner).</summary>
        public long Owner { get; set; }

        /// <summary>Whether a write from <paramref name="origin"/> may be taken; an unknown owner becomes it.</summary>
        public bool OwnedBy(long origin)
        {
            if (origin == 0 || Owner == origin) return true;
            if (Owner != 0) return false;
            Owner = origin;
            return true;
        }
    }
}

/// <summary>
/// What the sequencer is deciding: txns in zxid order; <see cref="EpochStarts"/> lists (index of the first txn of the
/// epoch, epoch) for every epoch begun on a counter rollover, which must be persisted before that txn. Reused from one
/// <see cref="SequencerCore.TakeOutput"/> to the next; what is taken is a <see cref="SequencerDecisions"/>.
/// </summary>
public sealed class SequencerOutput
{
    private readonly List<SequencedTxn> _txns = new();
    private List<(int BeforeIndex, long Epoch)>? _epochStarts;
    private List<long>? _expired;
    private List<(OpCode Op, Exception Error)>? _prepFailures;

    public IReadOnlyList<SequencedTxn> Txns => _txns;
    public bool IsEmpty => _txns.Count == 0;

    internal void Add(SequencedTxn txn) => _txns.Add(txn);

    // Rare: allocated only when something happens (a list each per output would cost every burst three allocations).
    internal void EpochStarted(long epoch) => (_epochStarts ??= new()).Add((_txns.Count, epoch));
    internal void SessionExpired(long sessionId) => (_expired ??= new()).Add(sessionId);
    internal void PrepFailed(OpCode op, Exception error) => (_prepFailures ??= new()).Add((op, error));

    /// <summary>Hands out what was decided (the txns as an exact-size array) and starts over.</summary>
    internal SequencerDecisions Take()
    {
        var taken = new SequencerDecisions(_txns.ToArray(),
            (IReadOnlyList<(int, long)>?)_epochStarts ?? [], (IReadOnlyList<long>?)_expired ?? [],
            (IReadOnlyList<(OpCode, Exception)>?)_prepFailures ?? []);
        _txns.Clear();
        _epochStarts = null;
        _expired = null;
        _prepFailures = null;
        return taken;
    }
}

/// <summary>What one or more calls into the sequencer decided; see <see cref="SequencerOutput"/>.</summary>
public sealed record SequencerDecisions(
    SequencedTxn[] Txns,
    IReadOnlyList<(int BeforeIndex, long Epoch)> EpochStarts,
    IReadOnlyList<long> Expired,
    IReadOnlyList<(OpCode Op, Exception Error)> PrepFailures)
{
}

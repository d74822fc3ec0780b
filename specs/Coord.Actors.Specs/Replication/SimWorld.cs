using Coord.Actors.Journal;
using Coord.Actors.Replication;
using Coord.Actors.Txns;

namespace Coord.Actors.Specs.Replication;

/// <summary>The members of one simulated ensemble and the core's knobs.</summary>
/// <param name="SnapshotChunksInFlightMax">Small, so that snapshots of up to six pieces wait on acknowledgements.</param>
/// <param name="SnapshotPieces">How many pieces a leader cuts each snapshot into; 0 = 1 to 6, drawn per snapshot.</param>
/// <param name="WindowHotTxns">The newest txns each core keeps as objects in its window (older committed ones are encoded).</param>
internal sealed record SimOptions(int Voters, int Observers = 0, int WindowTxnsMax = 100_000, int SyncBatchTxnsMax = 1_000,
    PlantedBug Bug = PlantedBug.None, int SnapshotChunksInFlightMax = 2, int SnapshotPieces = 0, int WindowHotTxns = TxnWindow.HotTxnsDefault)
{
    /// <summary>tickTime 100 ms, initLimit 10, syncLimit 5: init 1000 ms, sync 500 ms, heartbeat 50 ms, election 20 ms.</summary>
    public static ReplicationTiming Timing { get; } = ReplicationTiming.FromTicks(100, 10, 5);

    public int Members => Voters + Observers;
    public override string ToString() => Observers == 0 ? $"{Voters} voters" : $"{Voters} voters + {Observers} observer";
}

/// <summary>How a leader brought a learner to its history (seen on the leader's sends).</summary>
internal sealed record SimSync(long Leader, long Learner, string Kind, int DiffTxns);

/// <summary>
/// A whole ensemble in one thread: members (<see cref="SimNode"/>), a FIFO queue per ordered pair, simulated time,
/// and the checker. Every input to a core goes through <see cref="Call"/>, which hands the core's effects to the
/// host model (<see cref="Handle"/>). Randomness comes only from the one seeded <see cref="Random"/>, so a seed
/// replays exactly. The random schedule is in SimWorld.Schedule.cs, the invariants in SimWorld.Checks.cs.
/// </summary>
internal sealed partial class SimWorld
{
    private readonly SimOptions _options;
    private readonly Random _rng;
    private readonly List<string>? _trace;
    private readonly ReplicationConfig[] _configs;
    private readonly Queue<PeerMessage>[] _queues;
    private readonly bool[] _cut;
    private readonly bool[] _held;
    private readonly Dictionary<(long Leader, long Learner), (string Kind, int Txns)> _syncing = new();
    private int _nextWriteId;
    private long _deliveringEpoch = long.MaxValue;
    private readonly Dictionary<TruncateLog, long> _truncEpochs = new(ReferenceEqualityComparer.Instance);

    public SimNode[] Nodes { get; }
    public long Now { get; private set; }
    public List<SimSync> Syncs { get; } = new();

    // Counters for the report.
    public int Steps { get; private set; }
    public int Elections { get; private set; }
    public int WritesProposed { get; private set; }
    public int WritesAcked { get; private set; }
    public int Crashes { get; private set; }
    public int Partitions { get; private set; }
    public int ChunkFaults { get; private set; }
    public int SyncsBy(string kind) => Syncs.Count(x => x.Kind == kind);

    public SimWorld(SimOptions options, int seed, bool trace = false)
    {
        _options = options;
        _rng = new Random(seed);
        _trace = trace ? new List<string>() : null;
        int n = options.Members;
        var members = Enumerable.Range(1, n).Select(i => new ReplicationMember(i, i > options.Voters)).ToArray();
        _configs = members.Select(m => new ReplicationConfig(m.Id, members, SimOptions.Timing, options.WindowTxnsMax, options.SyncBatchTxnsMax,
            SnapshotChunksInFlightMax: options.SnapshotChunksInFlightMax, WindowHotTxns: options.WindowHotTxns)).ToArray();
        Nodes = members.Select(m => new SimNode(m.Id, m.Observer)).ToArray();
        _queues = new Queue<PeerMessage>[n * n];
        for (int i = 0; i < _queues.Length; i++) _queues[i] = new Queue<PeerMessage>();
        _cut = new bool[n * n];
        _held = new bool[n * n];
        _quorum = options.Voters / 2 + 1;
        foreach (var node in Nodes) Start(node);
    }

    public SimNode Node(long id) => Nodes[id - 1];
    public IReadOnlyList<string> TraceLines => _trace ?? (IReadOnlyList<string>)[];
    private int Pair(long from, long to) => (int)((from - 1) * Nodes.Length + (to - 1));
    /// <summary>COORD_SIM_TRACE_ALL=1: the trace shows votes and heartbeats too.</summary>
    private static readonly bool TraceAll = Environment.GetEnvironmentVariable("COORD_SIM_TRACE_ALL") == "1";

    private void Trace(string line) => _trace?.Add($"{Steps,6} {Now,7}ms {line}");

    // ---- the host model: every call into a core, and what its effects do ----

    private void Start(SimNode node)
    {
        node.Up = true;
        node.Journal.ReplaceWith(node.Durable.Txns);
        node.JournalSnapshotZxid = node.DurableSnapshotZxid;
        node.JournalSnapshotCount = node.DurableSnapshotCount;
        node.Tree.ReplaceWith(node.Durable.Txns); // the tree replays the whole journal, uncommitted tail included
        var durable = node.DurableState();
        Trace($"n{node.Id} starts (incarnation {node.Incarnation}): accepted {durable.AcceptedEpoch} current {durable.CurrentEpoch} " +
              $"snapshot 0x{durable.TailAfterZxid:x} + {durable.Tail.Count} txns");
        Call(node, () => node.Core = new ReplicationCore(_configs[node.Id - 1], durable, node.Incarnation, Now) { Bug = _options.Bug });
    }

    /// <summary>Runs one input of a member's core and carries out its effects (which may call the core again).</summary>
    private void Call(SimNode node, Action input)
    {
        try
        {
            input();
            while (node.Core is { HasEffects: true } core)
                foreach (var e in core.TakeEffects()) Handle(node, e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new SimViolation("core threw", $"n{node.Id}: {e.GetType().Name}: {e.Message}");
        }
    }

    private void Handle(SimNode node, ReplicationEffect effect)
    {
        var core = node.Core!;
        if (_trace is not null && (TraceAll || effect is not Send { Message: Vote or Ping or Pong })) Trace($"n{node.Id} -> {effect}");
        switch (effect)
        {
            case Send s:
                OnSend(node, s);
                break;
            case PersistAcceptedEpoch or PersistCurrentEpoch or AppendLog or TruncateLog or InstallSnapshot:
                node.Pending.Enqueue(effect);
                if (effect is PersistCurrentEpoch pc && core.State == PeerState.Leading) RecordEpochQuorum(node, pc.Epoch);
                ApplyToJournalAndTree(node, effect);
                break;
            case Apply a:
                foreach (var t in a.Txns)
                {
                    long last = node.Tree.LastZxid;
                    if (t.Header.Zxid <= last || !Recovery.Follows(last, t.Header.Zxid))
                        throw new SimViolation("apply order", $"n{node.Id} applies 0x{t.Header.Zxid:x} after 0x{last:x}");
                    node.Tree.Add(t);
                    if (core.State == PeerState.Leading && _proposer.TryGetValue(t.Header.Cxid, out long p) && p == node.Id) Acknowledge(t.Header.Cxid);
                }
                break;
            case TakeSnapshot ts:
                node.SnapshotRequests.Add(new SimSnapshotRequest(ts.Member, ts.LinkId));
                if (_rng.Next(2) == 0) AnswerSnapshot(node, node.SnapshotRequests.Count - 1);
                break;
            case RoleChanged rc:
                if (rc.State == PeerState.Leading && rc.Serving) RecordServingLeader(node, rc.Epoch);
                break;
            case Delivered d:
                OnDelivered(node, d);
                break;
            case SnapshotPiece p:
                if (p.Index == 0) node.IncomingSnapshot.Clear();
                if (p.Index != node.IncomingSnapshot.Count)
                    throw new SimViolation("snapshot", $"n{node.Id} is handed {p} after {node.IncomingSnapshot.Count} pieces");
                node.IncomingSnapshot.Add(p.Chunk);
                break;
            case SnapshotAbandoned:
                node.IncomingSnapshot.Clear();
                break;
            case StillLooking:
                break;
            default:
                throw new SimViolation("unknown effect", effect.ToString()!);
        }
    }

    private void OnSend(SimNode node, Send s)
    {
        long from = node.Id, to = s.To;
        switch (s.Message)
        {
            case LeaderInfo:
                _syncing[(from, to)] = ("DIFF", 0);
                break;
            case Trunc when _syncing.TryGetValue((from, to), out var k):
                _syncing[(from, to)] = ("TRUNC", k.Txns);
                break;
            case SnapChunk { Index: 0 } when _syncing.TryGetValue((from, to), out var k):
                _syncing[(from, to)] = ("SNAP", k.Txns);
                break;
            case Proposal p when _syncing.TryGetValue((from, to), out var k):
                _syncing[(from, to)] = (k.Kind, k.Txns + p.Txns.Count);
                break;
            case NewLeader when _syncing.Remove((from, to), out var k):
                Syncs.Add(new SimSync(from, to, k.Kind, k.Txns));
                break;
        }
        if (!Node(to).Up || _cut[Pair(from, to)])
        {
            if (_trace is not null && s.Message is not (Vote or Ping or Pong)) Trace($"   (lost: {(Node(to).Up ? "cut" : "n" + to + " down")})");
            return;
        }
        _queues[Pair(from, to)].Enqueue(s.Message);
    }

    /// <summary>What a persist effect does at once: the journal holds it (not yet durable) and the tree follows.</summary>
    private void ApplyToJournalAndTree(SimNode node, ReplicationEffect effect)
    {
        switch (effect)
        {
            case AppendLog a:
                foreach (var t in a.Txns)
                {
                    if (t.Header.Zxid <= node.Journal.LastZxid)
                        throw new SimViolation("journal order", $"n{node.Id} appends 0x{t.Header.Zxid:x} after 0x{node.Journal.LastZxid:x}");
                    node.Journal.Add(t);
                }
                break;
            case TruncateLog t:
                if (t.Zxid < node.JournalSnapshotZxid)
                    throw new SimViolation("truncate below snapshot", $"n{node.Id} truncates to 0x{t.Zxid:x} below its snapshot 0x{node.JournalSnapshotZxid:x}");
                _truncEpochs[t] = _deliveringEpoch;
                CheckNoCommittedDropped(node, node.Journal, t.Zxid, "journal", _deliveringEpoch);
                node.Journal.CutAfter(t.Zxid);
                if (t.TreeThroughZxid > t.Zxid)
                    throw new SimViolation("truncate", $"n{node.Id} rebuilds its tree through 0x{t.TreeThroughZxid:x}, past the cut 0x{t.Zxid:x}");
                CheckNoCommittedDropped(node, node.Tree, t.TreeThroughZxid, "tree", _deliveringEpoch);
                // As the host does: the journal through the cut, the tree rebuilt from it through what was applied.
                node.Tree.CutAfter(t.TreeThroughZxid);
                break;
            case InstallSnapshot i:
                if (node.IncomingSnapshot.Count != i.Count)
                    throw new SimViolation("snapshot", $"n{node.Id} installs {i} holding {node.IncomingSnapshot.Count} pieces");
                var snap = SimSnapshot.Join(i.Zxid, node.IncomingSnapshot);
                node.IncomingSnapshot.Clear();
                node.PendingSnapshots.Enqueue(snap);
                if (snap.Zxid != i.Zxid || (snap.Txns.Length > 0 ? snap.Txns[^1].Header.Zxid : 0) != i.Zxid)
                    throw new SimViolation("snapshot", $"n{node.Id} installs {snap} as 0x{i.Zxid:x}");
                node.Journal.ReplaceWith(snap.Txns);
                node.JournalSnapshotZxid = i.Zxid;
                node.JournalSnapshotCount = snap.Txns.Length;
                node.Tree.ReplaceWith(snap.Txns);
                break;
        }
    }

    /// <summary>The node's oldest pending persist becomes durable; then the core hears of it.</summary>
    public void Fsync(SimNode node)
    {
        if (!node.Up || node.Pending.Count == 0) return;
        var effect = node.Pending.Dequeue();
        switch (effect)
        {
            case PersistAcceptedEpoch a:
                if (a.Epoch < node.DurableAccepted)
                    throw new SimViolation("epochs", $"n{node.Id} acceptedEpoch on disk goes from {node.DurableAccepted} down to {a.Epoch}");
                node.DurableAccepted = a.Epoch;
                break;
            case PersistCurrentEpoch c:
                if (c.Epoch < node.DurableCurrent)
                    throw new SimViolation("epochs", $"n{node.Id} currentEpoch on disk goes from {node.DurableCurrent} down to {c.Epoch}");
                node.DurableCurrent = c.Epoch;
                break;
            case AppendLog a:
                foreach (var t in a.Txns) node.Durable.Add(t);
                break;
            case TruncateLog t:
                if (t.Zxid < node.DurableSnapshotZxid)
                    throw new SimViolation("truncate below snapshot", $"n{node.Id} truncates its disk to 0x{t.Zxid:x} below its snapshot 0x{node.DurableSnapshotZxid:x}");
                _truncEpochs.Remove(t, out long truncEpoch);
                CheckNoCommittedDropped(node, node.Durable, t.Zxid, "disk", truncEpoch);
                node.Durable.CutAfter(t.Zxid);
                break;
            case InstallSnapshot i:
                var snap = node.PendingSnapshots.Dequeue();
                node.Durable.ReplaceWith(snap.Txns);
                node.DurableSnapshotZxid = i.Zxid;
                node.DurableSnapshotCount = snap.Txns.Length;
                break;
        }
        if (node.DurableAccepted < node.DurableCurrent)
            throw new SimViolation("epochs", $"n{node.Id} on disk: acceptedEpoch {node.DurableAccepted} below currentEpoch {node.DurableCurrent}");
        Trace($"n{node.Id} fsync {effect}");
        Call(node, () => node.Core!.Persisted(Now));
    }

    public void FsyncAll(SimNode node)
    {
        while (node.Up && node.Pending.Count > 0) Fsync(node);
    }

    /// <summary>A snapshot is handed over in 1 to this many pieces (more than the window of unacknowledged ones).</summary>
    private const int SnapshotPiecesMax = 6;

    /// <summary>
    /// One step of a leader's answer to a snapshot request: the first takes the image and announces its pieces, each
    /// hands over 1 to all of the rest (as a host's serializer cuts them while the window drains); the request is done
    /// once every piece was handed over or the core no longer wants them.
    /// </summary>
    private void AnswerSnapshot(SimNode node, int index)
    {
        var request = node.SnapshotRequests[index];
        var core = node.Core!;
        if (request.Snapshot is null)
        {
            var snap = new SimSnapshot(node.Tree.LastZxid, node.Tree.Txns.ToArray());
            request.Snapshot = snap;
            request.Pieces = snap.Split(_options.SnapshotPieces > 0 ? _options.SnapshotPieces : 1 + _rng.Next(SnapshotPiecesMax));
            Trace($"n{node.Id} snapshot for n{request.Member}: {snap} in {request.Pieces.Count} pieces");
            bool wanted = false;
            Call(node, () => wanted = core.SnapshotStarted(request.Member, request.LinkId, snap.Zxid, request.Pieces.Count, Now));
            if (!wanted)
            {
                node.SnapshotRequests.RemoveAt(index);
                return;
            }
        }
        var pieces = request.Pieces!;
        int hand = 1 + _rng.Next(pieces.Count - request.Next);
        for (int k = 0; k < hand; k++)
        {
            int i = request.Next++;
            bool wanted = false;
            Call(node, () => wanted = core.SnapshotChunkReady(request.Member, request.LinkId, i, pieces[i], Now));
            if (!wanted) break;
            if (request.Next == pieces.Count) break;
        }
        if (request.Next == pieces.Count || !core.WaitsForSnapshot(request.Member, request.LinkId)) node.SnapshotRequests.Remove(request);
    }

    // ---- clients ----

    private readonly Dictionary<int, long> _proposer = new(); // direct writes: write id → the leader that proposed it
    private readonly Dictionary<int, long> _writeZxid = new();
    private readonly Dictionary<long, int> _zxidWrite = new();

    private SequencedTxn NewTxn(SimNode leader, long zxid, int id)
    {
        if (_zxidWrite.TryGetValue(zxid, out int other))
            throw new SimViolation("one leader per epoch", $"zxid 0x{zxid:x} proposed twice (writes {other} and {id}; the second by n{leader.Id})");
        _zxidWrite[zxid] = id;
        _writeZxid[id] = zxid;
        WritesProposed++;
        return new SequencedTxn(new TxnHeader(leader.Id, id, zxid, Now), new SetDataTxn($"/n{id % 8}", null, id));
    }

    private long NextZxid(ReplicationCore core, int offset)
    {
        long last = core.LastZxid;
        long counter = JournalRecord.EpochOf(last) == core.Epoch ? (last & 0xFFFF_FFFF) : 0;
        return (core.Epoch << 32) | (counter + offset);
    }

    /// <summary>The serving leader proposes <paramref name="count"/> client writes; their ids, none when no member serves as leader.</summary>
    public IReadOnlyList<int> ProposeAtLeader(int count)
    {
        var leader = ServingLeader();
        if (leader is null) return [];
        var core = leader.Core!;
        var txns = new List<SequencedTxn>(count);
        for (int i = 1; i <= count; i++) txns.Add(NewTxn(leader, NextZxid(core, i), ++_nextWriteId));
        foreach (var t in txns) _proposer[t.Header.Cxid] = leader.Id;
        Trace($"n{leader.Id} client proposes {count}: 0x{txns[0].Header.Zxid:x}..0x{txns[^1].Header.Zxid:x}");
        Call(leader, () => core.Propose(txns, Now));
        return txns.Select(t => t.Header.Cxid).ToList();
    }

    /// <summary>A synced learner forwards a write to its leader; false when none can.</summary>
    public bool ForwardFrom(SimNode learner)
    {
        if (!learner.Up || learner.Core is not { Serving: true, State: PeerState.Following or PeerState.Observing } core) return false;
        var write = new SimForwardedWrite(++_nextWriteId);
        bool accepted = false;
        Call(learner, () => accepted = core.Forward(write));
        Trace($"n{learner.Id} forwards write {write.WriteId}: {(accepted ? "sent" : "refused")}");
        return accepted;
    }

    private void OnDelivered(SimNode node, Delivered d)
    {
        var core = node.Core!;
        switch (d.Payload)
        {
            case SimForwardedWrite fw when core is { State: PeerState.Leading, Serving: true }:
                var txn = NewTxn(node, NextZxid(core, 1), fw.WriteId);
                Trace($"n{node.Id} proposes forwarded write {fw.WriteId} from n{d.From} as 0x{txn.Header.Zxid:x}");
                core.Propose([txn], Now);
                core.ReplyAfterCommit(d.From, new SimWriteReply(fw.WriteId, txn.Header.Zxid), txn.Header.Zxid);
                break;
            case SimWriteReply r:
                int i = node.Tree.FirstAfter(r.Zxid) - 1;
                if (i < 0 || node.Tree[i].Header.Zxid != r.Zxid || node.Tree[i].Header.Cxid != r.WriteId)
                    throw new SimViolation("read your writes", $"n{node.Id} got the reply for write {r.WriteId} (0x{r.Zxid:x}) before applying it (applied 0x{node.Tree.LastZxid:x})");
                Acknowledge(r.WriteId);
                break;
        }
    }

    private void Acknowledge(int writeId)
    {
        if (!_acked.Add(writeId)) return;
        WritesAcked++;
        _ackedToCheck.Add(writeId);
    }

    public bool AllServing() => Nodes.All(n => n.Up && n.Core!.Serving);

    public SimNode? ServingLeader()
    {
        foreach (var n in Nodes)
            if (n.Up && n.Core is { State: PeerState.Leading, Serving: true }) return n;
        return null;
    }

    // ---- the network and faults ----

    public bool Deliver(long from, long to)
    {
        var q = _queues[Pair(from, to)];
        if (q.Count == 0) return false;
        var m = q.Dequeue();
        Steps++;
        // The epoch of the leader whose message this is (a TRUNC is judged by what its epoch must hold).
        _deliveringEpoch = m is Trunc && Node(from).Core is { } sender ? sender.Epoch : long.MaxValue;
        if (_trace is not null && (TraceAll || m is not (Vote or Ping or Pong))) Trace($"n{from} => n{to}: {m}");
        var node = Node(to);
        Call(node, () => node.Core!.Step(from, m, Now));
        return true;
    }

    public int Queued(long from, long to) => _queues[Pair(from, to)].Count;

    /// <summary>The messages waiting from one member to another, oldest first.</summary>
    public IReadOnlyList<PeerMessage> InFlight(long from, long to) => [.. _queues[Pair(from, to)]];

    /// <summary>Loses the first message from <paramref name="from"/> to <paramref name="to"/> that matches; false when none does.</summary>
    public bool DropFirst(long from, long to, Func<PeerMessage, bool> match)
    {
        var q = _queues[Pair(from, to)];
        var kept = q.ToList();
        int i = kept.FindIndex(m => match(m));
        if (i < 0) return false;
        Trace($"DROP n{from} => n{to}: {kept[i]}");
        kept.RemoveAt(i);
        _queues[Pair(from, to)] = new Queue<PeerMessage>(kept);
        return true;
    }

    public void Advance(long ms)
    {
        Now += ms;
        foreach (var n in Nodes)
            if (n.Up) Call(n, () => n.Core!.Tick(Now));
    }

    public void Crash(SimNode node)
    {
        if (!node.Up) return;
        Trace($"n{node.Id} CRASHES ({node.Pending.Count} persists lost)");
        Crashes++;
        node.Up = false;
        node.Core = null;
        foreach (var e in node.Pending.OfType<TruncateLog>()) _truncEpochs.Remove(e);
        node.Pending.Clear();
        node.Journal.Clear();
        node.Tree.Clear();
        node.SnapshotRequests.Clear();
        node.IncomingSnapshot.Clear();
        node.PendingSnapshots.Clear();
        node.DiskStalledUntilMs = 0;
        foreach (var other in Nodes)
        {
            _queues[Pair(node.Id, other.Id)].Clear();
            _queues[Pair(other.Id, node.Id)].Clear();
        }
    }

    public void Restart(SimNode node)
    {
        if (node.Up) return;
        node.Incarnation++;
        Start(node);
    }

    /// <summary>Cuts both directions between the two sides; what is in flight across the cut is lost.</summary>
    public void Partition(IReadOnlyCollection<long> side)
    {
        Partitions++;
        Trace($"PARTITION {{{string.Join(",", side)}}} | rest");
        foreach (var a in Nodes)
            foreach (var b in Nodes)
                if (a != b && side.Contains(a.Id) != side.Contains(b.Id))
                {
                    _cut[Pair(a.Id, b.Id)] = true;
                    _queues[Pair(a.Id, b.Id)].Clear();
                }
    }

    public void Heal()
    {
        Trace("HEAL");
        Array.Clear(_cut);
        Array.Clear(_held);
    }

    /// <summary>No faults: deliver everything (across pairs in random order), answer snapshots, fsync, let time pass.</summary>
    public void FaultFreeRound(long ms)
    {
        for (int budget = 500; budget > 0; budget--)
        {
            int start = _rng.Next(_queues.Length), found = -1;
            for (int k = 0; k < _queues.Length && found < 0; k++)
                if (_queues[(start + k) % _queues.Length].Count > 0) found = (start + k) % _queues.Length;
            if (found < 0) break;
            Deliver(found / Nodes.Length + 1, found % Nodes.Length + 1);
        }
        foreach (var n in Nodes)
            while (n.Up && n.SnapshotRequests.Count > 0) AnswerSnapshot(n, 0);
        foreach (var n in Nodes) FsyncAll(n);
        Advance(ms);
        Check();
    }

    /// <summary>Runs fault-free rounds until <paramref name="until"/> holds; false when <paramref name="maxMs"/> passed first.</summary>
    public bool RunUntil(Func<bool> until, long maxMs, long roundMs = 5)
    {
        long deadline = Now + maxMs;
        while (!until())
        {
            if (Now >= deadline) return false;
            FaultFreeRound(roundMs);
        }
        return true;
    }
}

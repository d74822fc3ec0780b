using Coord.Actors.Txns;

namespace Coord.Actors.Replication;

// The leader: discovery (a new epoch from a quorum's acceptedEpochs), sync of every learner, establishment at a
// quorum of NEWLEADER acknowledgements, then broadcast and commit.
public sealed partial class ReplicationCore
{
    private enum LinkStage
    {
        Info,          // FollowerInfo received
        EpochSent,     // LeaderInfo sent
        EpochAcked,    // AckEpoch received, not yet synced (waiting for the epoch quorum)
        Syncing,       // sync and NEWLEADER sent
        NewLeaderAcked,// AckNewLeader received (counts for the quorum); UpToDate not yet sent
        Synced,        // UpToDate sent: broadcast member, may forward
    }

    private sealed class LearnerLink(long member, long linkId, bool observer, long acceptedEpoch, long nowMs)
    {
        public long Member { get; } = member;
        public long LinkId { get; } = linkId;
        public bool Observer { get; } = observer;
        public long AcceptedEpoch { get; } = acceptedEpoch;
        public LinkStage Stage { get; set; } = LinkStage.Info;
        public long OutSeq { get; set; }
        public long InSeq { get; set; } = 1;
        public long LastHeardMs { get; set; } = nowMs;
        /// <summary>When failure detection last called this learner unreachable (-1: never); see <see cref="SuspectLearner"/>.</summary>
        public long SuspectSinceMs { get; set; } = -1;
        public long PeerCurrentEpoch { get; set; }
        public long PeerLastZxid { get; set; }
        public long PeerTruncateFloor { get; set; }
        public long Acked { get; set; }
        /// <summary>From TakeSnapshot until the last snapshot chunk is sent: proposals and commits for it wait (the DIFF after the snapshot carries them).</summary>
        public bool AwaitingSnapshot { get; set; }
        /// <summary>Chunks the host handed over and not yet sent (null before the snapshot starts and once every chunk is sent).</summary>
        public Queue<object>? SnapChunks { get; set; }
        public long SnapZxid { get; set; }
        public int SnapCount { get; set; }
        public int ChunksReady { get; set; }
        public int ChunksSent { get; set; }
        public int ChunksAcked { get; set; }
        public Queue<(long AfterZxid, object Payload)>? Replies { get; set; }
    }

    private readonly Dictionary<long, LearnerLink> _links = new();
    private bool _epochChosen;
    private bool _epochDurable;
    private bool _epochQuorum;
    private bool _selfNewLeaderAck;
    private bool _established;
    private long _leaderSinceMs;
    private long _initialLast;
    private long _nextPingMs;

    private void ClearLeaderState()
    {
        _links.Clear();
        _epochChosen = _epochDurable = _epochQuorum = _selfNewLeaderAck = _established = false;
    }

    private void BecomeLeader(long nowMs)
    {
        ClearLeaderState();
        _leaderSinceMs = nowMs;
        _initialLast = _lastZxid;
        _nextPingMs = nowMs + _config.Timing.HeartbeatMs;
        ChangeRole(PeerState.Leading, _self, _epoch, false, $"elected leader in round {_round}");
        var early = _earlyFollowerInfo.ToList();
        _earlyFollowerInfo.Clear();
        foreach (var (from, info) in early) LeaderStep(from, info, nowMs);
        MaybeChooseEpoch();
    }

    /// <summary>Links members opened while this one was still looking (see <see cref="Step"/>).</summary>
    private readonly Dictionary<long, FollowerInfo> _earlyFollowerInfo = new();

    /// <summary>
    /// The leader's own txns (from its sequencer), in zxid order, all in the established epoch. They are journaled
    /// here and sent to every synced learner; they are applied once a quorum has them on disk.
    /// </summary>
    public void Propose(IReadOnlyList<SequencedTxn> txns, long nowMs)
    {
        if (txns.Count == 0) return;
        if (!(_state == PeerState.Leading && _established))
            throw new InvalidOperationException("only an established leader proposes");
        foreach (var t in txns)
            if (Journal.JournalRecord.EpochOf(t.Header.Zxid) != _epoch)
                throw new InvalidOperationException($"txn 0x{t.Header.Zxid:x} is not of the leader's epoch {_epoch}");
        AppendToLog(txns);
        long through = _lastZxid;
        long epoch = _epoch;
        long generation = _logGeneration;
        Persist(new AppendLog(txns), () =>
        {
            if (generation == _logGeneration) _durableZxid = Math.Max(_durableZxid, through);
            if (_state == PeerState.Leading && _epoch == epoch) UpdateCommit();
        });
        foreach (var link in _links.Values)
            if (link.Stage >= LinkStage.Syncing && !link.AwaitingSnapshot) SendLink(link, (id, seq) => new Proposal(id, seq, txns));
    }

    /// <summary>
    /// Leader: send <paramref name="payload"/> to a synced member once everything through <paramref name="afterZxid"/>
    /// is committed (behind the commits, on the same ordered link). False when the member has no synced link.
    /// </summary>
    public bool ReplyAfterCommit(long member, object payload, long afterZxid)
    {
        if (_state != PeerState.Leading || !_links.TryGetValue(member, out var link) || link.Stage != LinkStage.Synced) return false;
        if (afterZxid <= _committed && link.Replies is not { Count: > 0 }) SendLink(link, (id, seq) => new ToMember(id, seq, payload));
        else (link.Replies ??= new()).Enqueue((afterZxid, payload));
        return true;
    }

    /// <summary>
    /// Leader: the snapshot asked for by <see cref="TakeSnapshot"/> exists, of the tree at <paramref name="zxid"/>, cut
    /// into <paramref name="chunks"/> (at least one): <see cref="SnapshotStarted"/> and every <see cref="SnapshotChunkReady"/> at once.
    /// </summary>
    public void SnapshotTaken(long member, long linkId, long zxid, IReadOnlyList<object> chunks, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count == 0) throw new ArgumentException("a snapshot is handed over in at least one chunk", nameof(chunks));
        if (!SnapshotStarted(member, linkId, zxid, chunks.Count, nowMs)) return;
        for (int i = 0; i < chunks.Count; i++)
            if (!SnapshotChunkReady(member, linkId, i, chunks[i], nowMs)) return;
    }

    /// <summary>
    /// Leader: the snapshot asked for by <see cref="TakeSnapshot"/> is being made, of the tree at <paramref name="zxid"/>, in
    /// <paramref name="count"/> chunks (at least one) that follow through <see cref="SnapshotChunkReady"/> as the host cuts
    /// them. They are streamed to the learner as <see cref="SnapChunk"/>s, at most
    /// <see cref="ReplicationConfig.SnapshotChunksInFlightMax"/> unacknowledged; after the last one, the DIFF from the
    /// snapshot on and NEWLEADER. False when the link no longer waits for it (the host stops making it).
    /// </summary>
    public bool SnapshotStarted(long member, long linkId, long zxid, int count, long nowMs)
    {
        if (!WaitsForSnapshot(member, linkId, out var link) || link.SnapChunks is not null) return false;
        if (count < 1) throw new ArgumentException("a snapshot is handed over in at least one chunk", nameof(count));
        if (zxid < _logBase || zxid > _lastZxid)
            throw new InvalidOperationException($"snapshot at 0x{zxid:x} is outside the log window 0x{_logBase:x}..0x{_lastZxid:x}");
        link.SnapChunks = new Queue<object>();
        link.SnapZxid = zxid;
        link.SnapCount = count;
        link.ChunksSent = link.ChunksAcked = link.ChunksReady = 0;
        return true;
    }

    /// <summary>
    /// Leader: chunk <paramref name="index"/> of the snapshot announced by <see cref="SnapshotStarted"/>, in order. The core
    /// holds it until the window lets it go and keeps none once sent. False when the link no longer waits for the
    /// snapshot (dropped, or a new link): the host stops making it.
    /// </summary>
    public bool SnapshotChunkReady(long member, long linkId, int index, object chunk, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (!WaitsForSnapshot(member, linkId, out var link) || link.SnapChunks is not { } ready) return false;
        if (index != link.ChunksReady || index >= link.SnapCount)
            throw new ArgumentException($"snapshot chunk {index} handed over after {link.ChunksReady} of {link.SnapCount}", nameof(index));
        link.ChunksReady++;
        ready.Enqueue(chunk);
        StreamSnapshot(link);
        return true;
    }

    /// <summary>Whether the learner's link <paramref name="linkId"/> still waits for (the rest of) a snapshot.</summary>
    public bool WaitsForSnapshot(long member, long linkId) => WaitsForSnapshot(member, linkId, out _);

    private bool WaitsForSnapshot(long member, long linkId, out LearnerLink link) =>
        _links.TryGetValue(member, out link!) && _state == PeerState.Leading && link.LinkId == linkId && link.AwaitingSnapshot;

    /// <summary>Sends ready snapshot chunks while fewer than the window are unacknowledged; after the last one, the DIFF and NEWLEADER.</summary>
    private void StreamSnapshot(LearnerLink link)
    {
        var ready = link.SnapChunks!;
        long zxid = link.SnapZxid;
        int count = link.SnapCount;
        while (ready.Count > 0 && link.ChunksSent - link.ChunksAcked < _config.SnapshotChunksInFlightMax)
        {
            int index = link.ChunksSent++;
            var chunk = ready.Dequeue();
            SendLink(link, (id, seq) => new SnapChunk(id, seq, zxid, index, count, chunk));
        }
        if (link.ChunksSent < count) return;
        link.SnapChunks = null; // every chunk is on its way: the leader keeps none of them
        link.AwaitingSnapshot = false;
        if (zxid < _logBase)
        {
            // The window moved past the snapshot while it streamed (a long stream under many writes): the DIFF behind it
            // is gone, so the learner starts over with a newer snapshot.
            DropLink(link.Member, $"the log window moved past the snapshot at 0x{zxid:x} while it streamed");
            return;
        }
        SendDiff(link, zxid);
        FinishSync(link);
    }

    private void MaybeChooseEpoch()
    {
        if (_epochChosen) return;
        long max = _acceptedEpochPromised;
        int voters = _config.SelfIsObserver ? 0 : 1;
        foreach (var link in _links.Values)
        {
            max = Math.Max(max, link.AcceptedEpoch);
            if (!link.Observer) voters++;
        }
        if (voters < _quorum) return;
        _epochChosen = true;
        long epoch = max + 1;
        if (epoch > Journal.JournalOrder.EpochMax) throw new InvalidOperationException("epochs are exhausted");
        _epoch = epoch;
        _acceptedEpochPromised = epoch;
        Persist(new PersistAcceptedEpoch(epoch), () =>
        {
            _acceptedEpoch = Math.Max(_acceptedEpoch, epoch);
            if (_state != PeerState.Leading || _epoch != epoch) return;
            _epochDurable = true;
            foreach (var link in _links.Values)
                if (link.Stage == LinkStage.Info) SendLeaderInfo(link);
            MaybeEpochQuorum();
        });
    }

    private void SendLeaderInfo(LearnerLink link)
    {
        link.Stage = LinkStage.EpochSent;
        SendLink(link, (id, seq) => new LeaderInfo(id, seq, _epoch));
    }

    private void LeaderStep(long from, LinkMessage m, long nowMs)
    {
        if (m is FollowerInfo info)
        {
            if (info.Seq != 1) return;
            if (_epochChosen && info.AcceptedEpoch > _epoch)
            {
                // It promised a newer epoch to another leader and will refuse ours; a new election picks an
                // epoch above its promise (otherwise it could never rejoin while this leader lasts).
                StartLooking(nowMs, $"member {from} accepted epoch {info.AcceptedEpoch}, above this leader's {_epoch}");
                return;
            }
            _links.Remove(from);
            var link = new LearnerLink(from, info.LinkId, info.Observer || !_config.IsVoter(from), info.AcceptedEpoch, nowMs) { InSeq = 1 };
            _links[from] = link;
            if (_epochDurable) SendLeaderInfo(link);
            else MaybeChooseEpoch();
            return;
        }
        if (m is LinkReset) return; // only leaders send them: this one is from a leader this member once followed
        if (!_links.TryGetValue(from, out var l) || l.LinkId != m.LinkId)
        {
            // A link this leader dropped (or never had): tell the learner, which would otherwise wait out its limit.
            Emit(new Send(from, new LinkReset(m.LinkId, 0, $"leader {_self} has no link {m.LinkId} from member {from}")));
            return;
        }
        if (m.Seq != l.InSeq + 1)
        {
            DropLink(from, $"message {m.Seq} arrived after {l.InSeq}");
            return;
        }
        l.InSeq = m.Seq;
        l.LastHeardMs = nowMs;
        switch (m)
        {
            case AckEpoch a when l.Stage == LinkStage.EpochSent:
                l.PeerCurrentEpoch = a.CurrentEpoch;
                l.PeerLastZxid = a.LastZxid;
                l.PeerTruncateFloor = a.TruncateFloor;
                l.Stage = LinkStage.EpochAcked;
                if (!_epochQuorum)
                {
                    if (a.CurrentEpoch > _currentEpoch || (a.CurrentEpoch == _currentEpoch && a.LastZxid > _lastZxid))
                    {
                        StartLooking(nowMs, $"member {from} has a newer history (epoch {a.CurrentEpoch}, 0x{a.LastZxid:x}) than this leader");
                        return;
                    }
                    MaybeEpochQuorum();
                }
                else SyncLearner(l);
                break;
            case AckNewLeader a when l.Stage == LinkStage.Syncing && a.Epoch == _epoch:
                l.Acked = Math.Max(l.Acked, a.LastZxid);
                l.Stage = LinkStage.NewLeaderAcked;
                if (_established)
                {
                    SendUpToDate(l);
                    UpdateCommit(); // its acks count from now on: they may complete a quorum nothing else would recount
                }
                else MaybeEstablish(nowMs);
                break;
            case Ack a when l.Stage >= LinkStage.Syncing:
                l.Acked = Math.Max(l.Acked, a.Zxid);
                UpdateCommit();
                break;
            case SnapChunkAck a when l.Stage == LinkStage.Syncing:
                if (a.Index != l.ChunksAcked || a.Index >= l.ChunksSent)
                {
                    DropLink(from, $"snapshot chunk {a.Index} acknowledged; expected {l.ChunksAcked} of {l.ChunksSent} sent");
                    return;
                }
                l.ChunksAcked++;
                if (l.SnapChunks is not null) StreamSnapshot(l);
                break;
            case Pong:
                break;
            case Forwarded f when l.Stage == LinkStage.Synced:
                Emit(new Delivered(from, f.Payload));
                break;
            default:
                DropLink(from, $"unexpected {m.GetType().Name} at stage {l.Stage}");
                break;
        }
    }

    private void MaybeEpochQuorum()
    {
        if (_epochQuorum || !_epochDurable) return;
        int voters = _config.SelfIsObserver ? 0 : 1;
        // Only a first promise of this epoch counts (ZooKeeper's epoch ack of -1): a member that had already accepted
        // it may have promised it to another leader that chose the same number, and two leaders of one epoch must
        // never both gather a quorum.
        foreach (var link in _links.Values)
            if (!link.Observer && link.Stage >= LinkStage.EpochAcked && link.AcceptedEpoch < _epoch) voters++;
        if (voters < _quorum) return;
        _epochQuorum = true;
        long epoch = _epoch;
        Persist(new PersistCurrentEpoch(epoch), () =>
        {
            _currentEpoch = Math.Max(_currentEpoch, epoch);
            if (_state != PeerState.Leading || _epoch != epoch) return;
            _selfNewLeaderAck = true;
            MaybeEstablish(0);
        });
        foreach (var link in _links.Values)
            if (link.Stage == LinkStage.EpochAcked) SyncLearner(link);
    }

    /// <summary>Brings a learner to this leader's history: DIFF, TRUNC then DIFF, or SNAP then DIFF; then NEWLEADER.</summary>
    private void SyncLearner(LearnerLink link)
    {
        link.Stage = LinkStage.Syncing;
        long theirs = link.PeerLastZxid;
        long from;
        if (theirs == _lastZxid) from = theirs;
        else if (theirs >= _logBase && Holds(theirs)) from = theirs;
        else
        {
            long floor = theirs > _lastZxid ? _lastZxid : FloorOf(theirs);
            if (floor >= 0 && floor >= link.PeerTruncateFloor && floor >= _logBase)
            {
                SendLink(link, (id, seq) => new Trunc(id, seq, floor));
                from = floor;
            }
            else
            {
                link.AwaitingSnapshot = true;
                Emit(new TakeSnapshot(link.Member, link.LinkId));
                return;
            }
        }
        SendDiff(link, from);
        FinishSync(link);
    }

    private void SendDiff(LearnerLink link, long afterZxid)
    {
        var all = Slice(afterZxid, _lastZxid);
        int batch = _config.SyncBatchTxnsMax;
        for (int i = 0; i < all.Count; i += batch)
        {
            var part = all.GetRange(i, Math.Min(batch, all.Count - i));
            SendLink(link, (id, seq) => new Proposal(id, seq, part));
        }
    }

    private void FinishSync(LearnerLink link)
    {
        SendLink(link, (id, seq) => new NewLeader(id, seq, _epoch));
        // Commits already decided reach it behind the sync (UpToDate carries them too).
        if (_established && _committed > 0) SendLink(link, (id, seq) => new Commit(id, seq, Math.Min(_committed, _lastZxid)));
    }

    private void MaybeEstablish(long nowMs)
    {
        if (_established || !_selfNewLeaderAck) return;
        int voters = _config.SelfIsObserver ? 0 : 1;
        foreach (var link in _links.Values)
            if (!link.Observer && link.Stage >= LinkStage.NewLeaderAcked) voters++;
        if (voters < _quorum) return;
        _established = true;
        // The quorum holds the whole initial history: it is committed.
        _committed = Math.Max(_committed, _initialLast);
        ApplyCommitted();
        ChangeRole(PeerState.Leading, _self, _epoch, true, $"established epoch {_epoch} with a quorum");
        foreach (var link in _links.Values)
            if (link.Stage == LinkStage.NewLeaderAcked) SendUpToDate(link);
        UpdateCommit();
    }

    private void SendUpToDate(LearnerLink link)
    {
        link.Stage = LinkStage.Synced;
        SendLink(link, (id, seq) => new UpToDate(id, seq, _committed));
    }

    /// <summary>Commit the highest zxid a quorum (this leader included) has on disk; tell learners; apply.</summary>
    private void UpdateCommit()
    {
        if (!_established) return;
        long candidate;
        if (Bug == PlantedBug.CommitWithoutQuorum) candidate = _durableZxid;
        else
        {
            var acked = new List<long>(_config.VoterCount);
            if (!_config.SelfIsObserver) acked.Add(_durableZxid);
            foreach (var link in _links.Values)
                if (!link.Observer && link.Stage >= LinkStage.NewLeaderAcked) acked.Add(link.Acked);
            if (acked.Count < _quorum) return;
            acked.Sort();
            candidate = acked[acked.Count - _quorum];
        }
        candidate = Math.Min(candidate, _lastZxid);
        if (candidate <= _committed) return;
        _committed = candidate;
        foreach (var link in _links.Values)
        {
            if (link.Stage < LinkStage.Syncing || link.AwaitingSnapshot) continue;
            SendLink(link, (id, seq) => new Commit(id, seq, candidate));
            FlushReplies(link);
        }
        ApplyCommitted();
    }

    private void FlushReplies(LearnerLink link)
    {
        while (link.Replies is { Count: > 0 } q && q.Peek().AfterZxid <= _committed)
        {
            var payload = q.Dequeue().Payload;
            SendLink(link, (id, seq) => new ToMember(id, seq, payload));
        }
    }

    private void SendLink(LearnerLink link, Func<long, long, LinkMessage> make) =>
        Emit(new Send(link.Member, make(link.LinkId, ++link.OutSeq)));

    /// <summary>
    /// Forgets the learner's link (its acks no longer count) and tells it so with <see cref="LinkReset"/>: a learner
    /// that is alive opens a new link at once rather than after the sync limit. The notice may be lost like any
    /// message; then the learner's next message on the old link draws another, or its limit runs out.
    /// </summary>
    private void DropLink(long member, string reason)
    {
        if (!_links.Remove(member, out var link)) return;
        Emit(new Send(member, new LinkReset(link.LinkId, link.OutSeq + 1, reason)));
    }

    /// <summary>
    /// A hint that a learner is unreachable (its connection dropped, or Akka.Cluster's failure detector) drops its link
    /// only once the learner has also been silent since the hint for two heartbeats: a hint can be about an earlier
    /// incarnation of the member (the cluster flags a killed process seconds later, while the member restarted on the
    /// same address is already synced and acknowledging), and dropping a working link stops that learner serving.
    /// A learner that is really gone is dropped within two heartbeats rather than at the sync limit.
    /// </summary>
    private void SuspectLearner(long member, long nowMs)
    {
        if (!_links.TryGetValue(member, out var link)) return;
        link.SuspectSinceMs = nowMs;
        if (SilentSinceSuspected(link, nowMs)) DropLink(member, "unreachable and silent");
    }

    private bool SilentSinceSuspected(LearnerLink link, long nowMs) =>
        link.SuspectSinceMs >= 0 && link.LastHeardMs < link.SuspectSinceMs && nowMs - link.LastHeardMs > 2L * _config.Timing.HeartbeatMs;

    private void LeaderTick(long nowMs)
    {
        var timing = _config.Timing;
        if (!_established && nowMs - _leaderSinceMs > timing.InitLimitMs)
        {
            StartLooking(nowMs, $"no quorum synced within the init limit ({timing.InitLimitMs} ms)");
            return;
        }
        List<long>? silent = null;
        foreach (var link in _links.Values)
        {
            int limit = link.Stage == LinkStage.Synced ? timing.SyncLimitMs : timing.InitLimitMs;
            if (nowMs - link.LastHeardMs > limit) (silent ??= new()).Add(link.Member);
        }
        if (silent is not null) foreach (long id in silent) DropLink(id, "silent beyond its limit");
        List<long>? suspects = null;
        foreach (var link in _links.Values)
            if (SilentSinceSuspected(link, nowMs)) (suspects ??= new()).Add(link.Member);
        if (suspects is not null) foreach (long id in suspects) DropLink(id, "unreachable and silent");
        if (_established)
        {
            int voters = _config.SelfIsObserver ? 0 : 1;
            foreach (var link in _links.Values)
                if (!link.Observer && link.Stage == LinkStage.Synced) voters++;
            if (voters < _quorum)
            {
                StartLooking(nowMs, $"heard from fewer than a quorum of {_quorum} within the sync limit ({timing.SyncLimitMs} ms)");
                return;
            }
        }
        if (nowMs >= _nextPingMs)
        {
            _nextPingMs = nowMs + timing.HeartbeatMs;
            foreach (var link in _links.Values)
                if (link.Stage >= LinkStage.EpochSent) SendLink(link, (id, seq) => new Ping(id, seq));
        }
    }

    // ---- status for mntr ----

    /// <summary>Learners with a link (ZooKeeper's zk_followers counts followers and observers it knows).</summary>
    public int LearnerCount => _state == PeerState.Leading ? _links.Count : 0;

    /// <summary>Voting learners synced and broadcasting (zk_synced_followers).</summary>
    public int SyncedFollowerCount => _state == PeerState.Leading ? _links.Values.Count(l => !l.Observer && l.Stage == LinkStage.Synced) : 0;

    public int SyncedObserverCount => _state == PeerState.Leading ? _links.Values.Count(l => l.Observer && l.Stage == LinkStage.Synced) : 0;

    /// <summary>Learners still syncing (zk_pending_syncs).</summary>
    public int PendingSyncCount => _state == PeerState.Leading ? _links.Values.Count(l => l.Stage is >= LinkStage.EpochAcked and < LinkStage.Synced) : 0;

    /// <summary>Per learner: how many zxids its acknowledgement trails the leader's log (counter distance within an epoch).</summary>
    public IEnumerable<(long Member, bool Observer, bool Synced, long Acked)> Learners =>
        _state == PeerState.Leading ? _links.Values.Select(l => (l.Member, l.Observer, l.Stage == LinkStage.Synced, l.Acked)).ToList() : [];
}

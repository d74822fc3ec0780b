namespace Coord.Actors.Replication;

// A learner (follower or observer): open a link to the leader, accept its epoch, take the sync, acknowledge
// NEWLEADER once the history and the epoch are durable, then journal proposals and apply commits.
public sealed partial class ReplicationCore
{
    private enum LearnerStage
    {
        Connecting,   // FollowerInfo sent
        Syncing,      // LeaderInfo received; sync in progress
        UpToDate,     // serving
    }

    private LearnerStage _learnerStage;
    private long _linkId;
    private long _outSeq;
    private long _inSeq;
    private long _lastHeardMs;
    private long _linkEpoch;
    private long _lastAckSent;
    private long _nextFollowerInfoMs;
    // The leader's snapshot while its chunks arrive (SNAP): how many arrived, 0 when none is streaming. The chunks go to
    // the host as they come (SnapshotPiece); the core keeps none.
    private int _snapReceived;
    private long _snapZxid;
    private int _snapCount;

    private void ClearLearnerState()
    {
        _linkId = 0;
        _outSeq = _inSeq = 0;
        _linkEpoch = 0;
        _lastAckSent = 0;
        if (_snapReceived > 0) Emit(new SnapshotAbandoned(_snapZxid, _snapReceived, _snapCount));
        _snapReceived = 0;
    }

    private void BecomeLearner(long leader, long nowMs, string reason)
    {
        _earlyFollowerInfo.Clear();
        ClearLeaderState();
        ClearLearnerState();
        var state = _config.SelfIsObserver ? PeerState.Observing : PeerState.Following;
        ChangeRole(state, leader, _epoch, false, reason);
        _learnerStage = LearnerStage.Connecting;
        _lastHeardMs = nowMs;
        OpenLink(nowMs);
    }

    /// <summary>
    /// A new link to the leader. While no LeaderInfo came back it is opened again every heartbeat: a FollowerInfo
    /// that reached the leader before it knew it had won was dropped, and nothing else would tell either side.
    /// </summary>
    private void OpenLink(long nowMs)
    {
        _linkId = NextLinkId();
        _outSeq = _inSeq = 0;
        _nextFollowerInfoMs = nowMs + Math.Max(_config.Timing.HeartbeatMs, _config.Timing.ElectionResendMs);
        SendToLeader((id, seq) => new FollowerInfo(id, seq, _acceptedEpochPromised, _config.SelfIsObserver));
    }

    /// <summary>
    /// Learner: send <paramref name="payload"/> to the leader on the ordered link (forwarded writes, session
    /// requests, touches). False when this member is not synced with a leader: the host must not accept the work.
    /// </summary>
    public bool Forward(object payload)
    {
        if (_state is not (PeerState.Following or PeerState.Observing) || _learnerStage != LearnerStage.UpToDate) return false;
        SendToLeader((id, seq) => new Forwarded(id, seq, payload));
        return true;
    }

    private void SendToLeader(Func<long, long, LinkMessage> make) => Emit(new Send(_leaderId, make(_linkId, ++_outSeq)));

    private void LearnerStep(long from, LinkMessage m, long nowMs)
    {
        if (from != _leaderId || m.LinkId != _linkId) return;
        if (m is LinkReset reset)
        {
            // Whatever came before it: the leader no longer counts this link, so nothing more arrives on it.
            ReopenLink(nowMs, $"leader {from} reset the link: {reset.Reason}");
            return;
        }
        if (m.Seq != _inSeq + 1)
        {
            StartLooking(nowMs, $"link to leader {from} lost a message ({m.Seq} after {_inSeq})");
            return;
        }
        _inSeq = m.Seq;
        _lastHeardMs = nowMs;
        if (_snapReceived > 0 && m is not (SnapChunk or Ping))
        {
            StartLooking(nowMs, $"{m.GetType().Name} from leader {from} in the middle of its snapshot ({_snapReceived} of {_snapCount} chunks)");
            return;
        }
        switch (m)
        {
            case LeaderInfo li when _learnerStage == LearnerStage.Connecting:
                OnLeaderInfo(li, nowMs);
                break;
            case Trunc t when _learnerStage == LearnerStage.Syncing:
                OnTrunc(t);
                break;
            case SnapChunk c when _learnerStage == LearnerStage.Syncing:
                OnSnapChunk(c, nowMs);
                break;
            case Proposal p when _learnerStage != LearnerStage.Connecting:
                OnProposal(p, nowMs);
                break;
            case NewLeader nl when _learnerStage == LearnerStage.Syncing:
                OnNewLeader(nl, nowMs);
                break;
            case UpToDate u when _learnerStage == LearnerStage.Syncing:
                _learnerStage = LearnerStage.UpToDate;
                AdvanceCommit(u.Committed, nowMs);
                if (_state == PeerState.Looking) return;
                ChangeRole(_state, _leaderId, _linkEpoch, true, $"synced with leader {_leaderId} in epoch {_linkEpoch}");
                break;
            case Commit c when _learnerStage != LearnerStage.Connecting:
                AdvanceCommit(c.Zxid, nowMs);
                break;
            case Ping:
                SendToLeader((id, seq) => new Pong(id, seq));
                break;
            case ToMember tm when _learnerStage == LearnerStage.UpToDate:
                Emit(new Delivered(from, tm.Payload));
                break;
            default:
                StartLooking(nowMs, $"unexpected {m.GetType().Name} from leader {from} while {_learnerStage}");
                break;
        }
    }

    private void OnLeaderInfo(LeaderInfo li, long nowMs)
    {
        if (li.Epoch < _acceptedEpochPromised)
        {
            StartLooking(nowMs, $"leader {_leaderId} proposed epoch {li.Epoch}, below the accepted {_acceptedEpochPromised}");
            return;
        }
        _acceptedEpochPromised = li.Epoch;
        _linkEpoch = li.Epoch;
        _learnerStage = LearnerStage.Syncing;
        long linkId = _linkId;
        long epoch = li.Epoch;
        Persist(new PersistAcceptedEpoch(epoch), () =>
        {
            _acceptedEpoch = Math.Max(_acceptedEpoch, epoch);
            if (_linkId != linkId || _state == PeerState.Looking) return;
            SendToLeader((id, seq) => new AckEpoch(id, seq, _currentEpoch, _lastZxid, _truncateFloor));
        });
    }

    private void OnTrunc(Trunc t)
    {
        if (t.Zxid < _committed)
            throw new InvalidOperationException($"leader {_leaderId} asked to truncate to 0x{t.Zxid:x}, below the committed 0x{_committed:x}");
        if (t.Zxid < _truncateFloor)
            throw new InvalidOperationException($"leader {_leaderId} asked to truncate to 0x{t.Zxid:x}, below what this member can (0x{_truncateFloor:x})");
        if (t.Zxid >= _lastZxid || Bug == PlantedBug.IgnoreTruncate) return;
        TruncateWindow(t.Zxid);
        Persist(new TruncateLog(t.Zxid, _applied), null); // _applied is min(applied, cut) now
    }

    /// <summary>
    /// One piece of the leader's snapshot: handed to the host at once (it stages and parses the pieces as they come) and
    /// acknowledged (flow control, not durability); with the last one the learner installs the whole snapshot. Pieces
    /// arrive in order on the link, so anything else is a broken leader.
    /// </summary>
    private void OnSnapChunk(SnapChunk c, long nowMs)
    {
        int expected = _snapReceived;
        bool fits = c.Count >= 1 && c.Index == expected && c.Index < c.Count && (expected == 0 || (c.Zxid == _snapZxid && c.Count == _snapCount));
        if (!fits)
        {
            StartLooking(nowMs, $"leader {_leaderId} sent snapshot chunk {c.Index + 1}/{c.Count} of 0x{c.Zxid:x} after {expected} chunks" +
                (expected > 0 ? $" of {_snapCount} of 0x{_snapZxid:x}" : ""));
            return;
        }
        if (expected == 0)
        {
            _snapZxid = c.Zxid;
            _snapCount = c.Count;
        }
        _snapReceived++;
        Emit(new SnapshotPiece(c.Zxid, c.Index, c.Count, c.Chunk));
        int index = c.Index;
        SendToLeader((id, seq) => new SnapChunkAck(id, seq, index));
        if (_snapReceived < _snapCount) return;
        _snapReceived = 0;
        InstallLeaderSnapshot(_snapZxid, _snapCount);
    }

    private void InstallLeaderSnapshot(long snapZxid, int count)
    {
        _log.Clear();
        _logGeneration++;
        _logBase = _lastZxid = _applied = _truncateFloor = snapZxid;
        // Not durable until the install is, and not committed until the leader says so (Commit, UpToDate): a leader
        // that is not yet established snapshots its whole history, which may hold txns no quorum has.
        _durableZxid = 0;
        long generation = _logGeneration;
        Persist(new InstallSnapshot(snapZxid, count), () =>
        {
            if (generation == _logGeneration) _durableZxid = Math.Max(_durableZxid, snapZxid);
        });
    }

    /// <summary>
    /// The leader dropped this member's link (<see cref="LinkReset"/>): stop serving and open a new one to the same
    /// leader at once; the sync that follows brings this member back (DIFF, TRUNC or SNAP as for any new link).
    /// </summary>
    private void ReopenLink(long nowMs, string reason)
    {
        ClearLearnerState();
        _learnerStage = LearnerStage.Connecting;
        _lastHeardMs = nowMs;
        ChangeRole(_state, _leaderId, _epoch, false, reason);
        OpenLink(nowMs);
    }

    private void OnProposal(Proposal p, long nowMs)
    {
        if (p.Txns.Count == 0) return;
        long first = p.Txns[0].Header.Zxid;
        if (first <= _lastZxid || !Journal.Recovery.Follows(_lastZxid, first))
        {
            StartLooking(nowMs, $"proposal 0x{first:x} does not follow this member's last 0x{_lastZxid:x}");
            return;
        }
        AppendToLog(p.Txns);
        ApplyCommitted(); // txns a commit already covered (re-sent after a snapshot behind it)
        long through = _lastZxid;
        long linkId = _linkId;
        long generation = _logGeneration;
        if (Bug == PlantedBug.AckBeforeDurable && _learnerStage == LearnerStage.UpToDate)
        {
            _lastAckSent = through;
            SendToLeader((id, seq) => new Ack(id, seq, through));
        }
        Persist(new AppendLog(p.Txns), () =>
        {
            if (generation == _logGeneration) _durableZxid = Math.Max(_durableZxid, through);
            if (_linkId != linkId || _state == PeerState.Looking || _learnerStage == LearnerStage.Connecting) return;
            if (through > _lastAckSent && generation == _logGeneration)
            {
                _lastAckSent = through;
                SendToLeader((id, seq) => new Ack(id, seq, through));
            }
        });
    }

    private void OnNewLeader(NewLeader nl, long nowMs)
    {
        if (nl.Epoch != _linkEpoch)
        {
            StartLooking(nowMs, $"NEWLEADER for epoch {nl.Epoch} on a link of epoch {_linkEpoch}");
            return;
        }
        long linkId = _linkId;
        long epoch = nl.Epoch;
        // Every append before this persist is durable when it is (persists complete in order); later ones may not be.
        long last = _lastZxid;
        Persist(new PersistCurrentEpoch(epoch), () =>
        {
            _currentEpoch = Math.Max(_currentEpoch, epoch);
            if (_linkId != linkId || _state == PeerState.Looking) return;
            _lastAckSent = Math.Max(_lastAckSent, last);
            SendToLeader((id, seq) => new AckNewLeader(id, seq, epoch, last));
        });
    }

    private void AdvanceCommit(long zxid, long nowMs)
    {
        if (zxid > _lastZxid)
        {
            StartLooking(nowMs, $"leader committed 0x{zxid:x} beyond this member's log 0x{_lastZxid:x}");
            return;
        }
        if (zxid > _committed) _committed = zxid;
        ApplyCommitted(); // also what an earlier commit covered and the sync only now brought
    }

    private void LearnerTick(long nowMs)
    {
        var timing = _config.Timing;
        int limit = _learnerStage == LearnerStage.UpToDate ? timing.SyncLimitMs : timing.InitLimitMs;
        if (nowMs - _lastHeardMs > limit)
            StartLooking(nowMs, $"heard nothing from leader {_leaderId} for {nowMs - _lastHeardMs} ms");
        else if (_learnerStage == LearnerStage.Connecting && nowMs >= _nextFollowerInfoMs)
            OpenLink(nowMs);
    }
}

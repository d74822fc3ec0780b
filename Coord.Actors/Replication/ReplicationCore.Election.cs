namespace Coord.Actors.Replication;

// Election (ZooKeeper's FastLeaderElection, simplified): rounds, votes for the newest history, a short wait
// once a quorum agrees, and joining an established leader through the answers of members that are not looking.
public sealed partial class ReplicationCore
{
    private long _round;
    private Vote _myVote = new(0, 0, 0, 0, PeerState.Looking);
    private readonly Dictionary<long, Vote> _votes = new();
    private readonly Dictionary<long, Vote> _outOfElection = new();
    private long _nextResendMs;
    private long _decideAtMs;
    private long _lookingSinceMs;
    private long _nextStillLookingMs;
    // A member that keeps saying it leads (its own notifications, none missed for long), while looking: the fallback
    // join below. FirstMs is when this run of claims began, LastMs the latest.
    private (long Leader, long Round, long Epoch, long FirstMs, long LastMs)? _leaderClaim;

    /// <summary>How often a member that keeps looking says so (<see cref="StillLooking"/>).</summary>
    private const long StillLookingEveryMs = 5_000;

    private void StartLooking(long nowMs, string reason)
    {
        ClearLeaderState();
        ClearLearnerState();
        ChangeRole(PeerState.Looking, 0, _epoch, false, reason);
        _earlyFollowerInfo.Clear();
        _round++;
        _votes.Clear();
        _outOfElection.Clear();
        _decideAtMs = 0;
        _leaderClaim = null;
        _lookingSinceMs = nowMs;
        _nextStillLookingMs = nowMs + StillLookingEveryMs;
        _myVote = SelfVote();
        if (!_config.SelfIsObserver) _votes[_self] = _myVote;
        Broadcast();
        _nextResendMs = nowMs + _config.Timing.ElectionResendMs;
        CheckQuorumOnMyVote(nowMs);
    }

    private Vote SelfVote() => new(_self, _lastZxid, _currentEpoch, _round, PeerState.Looking);

    private Vote MyNotification() => _state == PeerState.Looking
        ? _myVote with { Round = _round, State = PeerState.Looking }
        : new Vote(_leaderId, _state == PeerState.Leading ? _lastZxid : 0, _epoch, _round, _state);

    private void Broadcast()
    {
        var n = MyNotification();
        foreach (long id in _others) Emit(new Send(id, n));
    }

    private void OnVote(long from, Vote n, long nowMs)
    {
        if (_state != PeerState.Looking)
        {
            // Tell a looking member who leads (only while that is settled: a leader still gathering its quorum too).
            if (n.State == PeerState.Looking) Emit(new Send(from, MyNotification()));
            return;
        }
        if (n.State == PeerState.Looking)
        {
            if (!_config.IsVoter(from))
            {
                Emit(new Send(from, MyNotification())); // an observer learns; it does not vote
                return;
            }
            if (n.Round > _round)
            {
                _round = n.Round;
                _votes.Clear();
                _decideAtMs = 0;
                var own = SelfVote();
                _myVote = n.BetterThan(own) && _config.IsVoter(n.Leader) ? n with { Round = _round } : own;
                if (!_config.SelfIsObserver) _votes[_self] = _myVote;
                Broadcast();
            }
            else if (n.Round < _round)
            {
                Emit(new Send(from, MyNotification()));
                return;
            }
            else if (n.BetterThan(_myVote) && _config.IsVoter(n.Leader))
            {
                _myVote = n with { Round = _round };
                if (!_config.SelfIsObserver) _votes[_self] = _myVote;
                _decideAtMs = 0;
                Broadcast();
            }
            _votes[from] = n;
            CheckQuorumOnMyVote(nowMs);
            return;
        }

        // A member that is following or leading: it says who leads.
        if (!_config.IsVoter(from) && n.State != PeerState.Leading) return;
        _outOfElection[from] = n;
        if (n.Round == _round && _config.IsVoter(from)) _votes[from] = n;
        long leader = n.Leader;
        int agree = 0;
        foreach (var (id, v) in _outOfElection)
            if (v.Leader == leader && _config.IsVoter(id)) agree++;
        // The leader itself must say it leads; otherwise a quorum of stale followers could name a dead leader.
        bool leaderSaysSo = _outOfElection.TryGetValue(leader, out var lv) && lv.State == PeerState.Leading && lv.Leader == leader;
        if (agree >= _quorum && leaderSaysSo && leader != _self)
        {
            _round = Math.Max(_round, n.Round);
            BecomeLearner(leader, nowMs, $"joined leader {leader} (epoch {n.Epoch})");
            return;
        }
        if (n.State == PeerState.Leading && n.Leader == from && from != _self)
            _leaderClaim = _leaderClaim is { } c && c.Leader == from && nowMs - c.LastMs <= ClaimGapMs
                ? c with { Round = n.Round, Epoch = n.Epoch, LastMs = nowMs }
                : (from, n.Round, n.Epoch, nowMs, nowMs);
    }

    private long ClaimGapMs => 2 * _config.Timing.ElectionResendMs;

    /// <summary>
    /// Joining on the leader's word alone, once it has kept saying it leads for twice the sync limit (a leader without
    /// a quorum steps down within one: a paused or cut-off leader that comes back does not qualify) while no quorum of
    /// its followers confirmed it: they may be unable to answer this member (a transport that lost its way to them
    /// after a restart; seen in the chaos soak), and waiting for them would keep it out of the ensemble for good.
    /// Safety does not depend on whom a member follows (epochs and quorums decide what commits); a leader that no
    /// longer leads does not sync it, and it looks again.
    /// </summary>
    private bool JoinOnLeadersWord(long nowMs)
    {
        if (_leaderClaim is not { } c || nowMs - _lookingSinceMs < _config.Timing.SyncLimitMs || nowMs - c.LastMs > ClaimGapMs
            || c.LastMs - c.FirstMs < 2 * _config.Timing.SyncLimitMs) return false;
        _round = Math.Max(_round, c.Round);
        BecomeLearner(c.Leader, nowMs,
            $"joined leader {c.Leader} (epoch {c.Epoch}) on its own word after {nowMs - _lookingSinceMs} ms: no quorum of members confirmed it");
        return true;
    }

    private void CheckQuorumOnMyVote(long nowMs)
    {
        if (_config.SelfIsObserver) return;
        int agree = 0;
        foreach (var (id, v) in _votes)
            if (v.SameVote(_myVote) && _config.IsVoter(id)) agree++;
        if (agree < _quorum)
        {
            _decideAtMs = 0;
            return;
        }
        if (agree == _config.VoterCount) Decide(nowMs);
        else if (_decideAtMs == 0) _decideAtMs = nowMs + _config.Timing.FinalizeWaitMs;
    }

    private void ElectionTick(long nowMs)
    {
        if (_decideAtMs != 0 && nowMs >= _decideAtMs)
        {
            _decideAtMs = 0;
            int agree = _votes.Count(kv => kv.Value.SameVote(_myVote) && _config.IsVoter(kv.Key));
            if (agree >= _quorum)
            {
                Decide(nowMs);
                return;
            }
        }
        if (JoinOnLeadersWord(nowMs)) return;
        if (nowMs >= _nextResendMs)
        {
            Broadcast();
            _nextResendMs = nowMs + _config.Timing.ElectionResendMs;
        }
        if (nowMs >= _nextStillLookingMs)
        {
            _nextStillLookingMs = nowMs + StillLookingEveryMs;
            var heard = _votes.Where(kv => kv.Key != _self).Concat(_outOfElection)
                .GroupBy(kv => kv.Key).Select(g => g.Last()).OrderBy(kv => kv.Key)
                .Select(kv => $"{kv.Key}: {kv.Value.Leader} {kv.Value.State.ToString().ToLowerInvariant()} r{kv.Value.Round}");
            string said = string.Join(", ", heard);
            Emit(new StillLooking(_round, nowMs - _lookingSinceMs, $"{_myVote.Leader} (epoch {_myVote.Epoch}, zxid 0x{_myVote.Zxid:x})",
                said.Length == 0 ? "nothing" : said));
        }
    }

    private void Decide(long nowMs)
    {
        if (_myVote.Leader == _self) BecomeLeader(nowMs);
        else BecomeLearner(_myVote.Leader, nowMs, $"elected {_myVote.Leader} in round {_round}");
    }
}

using Coord.Actors.Replication;

namespace Coord.Actors.Specs.Replication;

// The random schedule: each step is one event (deliver, time, fsync, client, fault) drawn from the seeded Random,
// then every invariant is checked. A schedule ends with the liveness phase: faults heal, crashed members restart,
// and a fault-free run must reach one serving leader and every member applying the same committed log.
internal sealed partial class SimWorld
{
    private enum Ev { Deliver, Tick, Fsync, Propose, Forward, Snapshot, Drop, Duplicate, Hold, Release, Partition, Heal, Crash, Restart, SlowDisk, ChunkFault }

    private (Ev Kind, int Weight)[]? _weights;
    private int _weightTotal;

    /// <summary>Per schedule, a fault level from the seed: some schedules are calm, some stormy.</summary>
    private void ChooseWeights()
    {
        double f = 0.2 + _rng.NextDouble() * 1.8;
        _weights =
        [
            (Ev.Deliver, 500), (Ev.Tick, 150), (Ev.Fsync, 170), (Ev.Propose, 40), (Ev.Forward, 15), (Ev.Snapshot, 15),
            (Ev.Drop, (int)(12 * f)), (Ev.Duplicate, (int)(4 * f)), (Ev.Hold, (int)(5 * f)), (Ev.Release, 12),
            (Ev.Partition, (int)(2 * f)), (Ev.Heal, 5), (Ev.Crash, (int)(2 * f)), (Ev.Restart, 8), (Ev.SlowDisk, (int)(3 * f)),
            (Ev.ChunkFault, (int)(30 * f)),
        ];
        _weightTotal = _weights.Sum(w => w.Weight);
    }

    /// <summary>One random event, then the checks.</summary>
    public void RandomStep()
    {
        if (_weights is null) ChooseWeights();
        int r = _rng.Next(_weightTotal);
        Ev kind = Ev.Tick;
        foreach (var (k, w) in _weights!)
        {
            if (r < w) { kind = k; break; }
            r -= w;
        }
        if (!Do(kind)) Advance(1 + _rng.Next(5));
        Steps++;
        Check();
    }

    private int QueuedTotal()
    {
        int total = 0;
        foreach (var q in _queues) total += q.Count;
        return total;
    }

    private int RandomQueue(bool deliverable)
    {
        int start = _rng.Next(_queues.Length);
        for (int k = 0; k < _queues.Length; k++)
        {
            int i = (start + k) % _queues.Length;
            if (_queues[i].Count > 0 && (!deliverable || !_held[i])) return i;
        }
        return -1;
    }

    private SimNode? RandomNode(Func<SimNode, bool> where)
    {
        int start = _rng.Next(Nodes.Length);
        for (int k = 0; k < Nodes.Length; k++)
        {
            var n = Nodes[(start + k) % Nodes.Length];
            if (where(n)) return n;
        }
        return null;
    }

    private bool Do(Ev kind)
    {
        switch (kind)
        {
            case Ev.Deliver:
            {
                int q = RandomQueue(deliverable: true);
                if (q < 0) return false;
                Steps--; // Deliver counts itself
                return Deliver(q / Nodes.Length + 1, q % Nodes.Length + 1);
            }
            case Ev.Tick:
                // Time passes in small steps, and mostly while the network keeps up: a backlog far beyond what the
                // members send per heartbeat would be latency no real network has.
                if (QueuedTotal() > 4 * Nodes.Length && _rng.Next(4) != 0) return Do(Ev.Deliver);
                Advance(1 + _rng.Next(5));
                return true;
            case Ev.Fsync:
            {
                var n = RandomNode(x => x.Up && x.Pending.Count > 0 && x.DiskStalledUntilMs <= Now);
                if (n is null) return false;
                if (_rng.Next(8) == 0) FsyncAll(n); // a group commit
                else Fsync(n);
                return true;
            }
            case Ev.Propose:
                return ProposeAtLeader(1 + _rng.Next(3)).Count > 0;
            case Ev.Forward:
            {
                var n = RandomNode(x => x.Up && x.Core is { Serving: true, State: PeerState.Following or PeerState.Observing });
                return n is not null && ForwardFrom(n);
            }
            case Ev.Snapshot:
            {
                var n = RandomNode(x => x.Up && x.SnapshotRequests.Count > 0);
                if (n is null) return false;
                AnswerSnapshot(n, _rng.Next(n.SnapshotRequests.Count));
                return true;
            }
            case Ev.Drop:
            {
                int q = RandomQueue(deliverable: false);
                if (q < 0) return false;
                var m = _queues[q].Dequeue();
                Trace($"DROP n{q / Nodes.Length + 1} => n{q % Nodes.Length + 1}: {m}");
                return true;
            }
            case Ev.Duplicate:
            {
                int q = RandomQueue(deliverable: false);
                if (q < 0) return false;
                var old = _queues[q];
                var m = old.Peek();
                _queues[q] = new Queue<PeerMessage>(old.Prepend(m));
                Trace($"DUPLICATE n{q / Nodes.Length + 1} => n{q % Nodes.Length + 1}: {m}");
                return true;
            }
            case Ev.Hold:
            {
                int q = _rng.Next(_queues.Length);
                if (q / Nodes.Length == q % Nodes.Length || _held[q]) return false;
                _held[q] = true;
                Trace($"HOLD n{q / Nodes.Length + 1} => n{q % Nodes.Length + 1}");
                return true;
            }
            case Ev.Release:
            {
                int start = _rng.Next(_held.Length);
                for (int k = 0; k < _held.Length; k++)
                {
                    int q = (start + k) % _held.Length;
                    if (!_held[q]) continue;
                    _held[q] = false;
                    Trace($"RELEASE n{q / Nodes.Length + 1} => n{q % Nodes.Length + 1}");
                    return true;
                }
                return false;
            }
            case Ev.Partition:
            {
                var side = Nodes.Where(_ => _rng.Next(2) == 0).Select(n => n.Id).ToList();
                if (side.Count == 0 || side.Count == Nodes.Length) return false;
                Partition(side);
                return true;
            }
            case Ev.Heal:
                if (!_cut.Contains(true) && !_held.Contains(true)) return false;
                Heal();
                return true;
            case Ev.Crash:
            {
                var n = RandomNode(x => x.Up);
                if (n is null) return false;
                Crash(n);
                return true;
            }
            case Ev.SlowDisk:
            {
                var n = RandomNode(x => x.Up && x.DiskStalledUntilMs <= Now);
                if (n is null) return false;
                n.DiskStalledUntilMs = Now + 10 + _rng.Next(300);
                Trace($"n{n.Id} disk stalls until {n.DiskStalledUntilMs}ms");
                return true;
            }
            case Ev.ChunkFault:
                return ChunkFault() || Do(Ev.Deliver); // mostly no chunk is in flight: then the network carries on
            case Ev.Restart:
            {
                var n = RandomNode(x => !x.Up);
                if (n is null) return false;
                Restart(n);
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A fault aimed at SNAP's stream (a chunk or its acknowledgement at the head of a queue): drop it, duplicate it,
    /// or hold its pair back. The general faults hit chunks only as often as any message; these make every seed that
    /// streams a snapshot likely to see one.
    /// </summary>
    private bool ChunkFault()
    {
        int start = _rng.Next(_queues.Length);
        for (int k = 0; k < _queues.Length; k++)
        {
            int q = (start + k) % _queues.Length;
            if (_queues[q].Count == 0 || _queues[q].Peek() is not (SnapChunk or SnapChunkAck)) continue;
            var m = _queues[q].Peek();
            string pair = $"n{q / Nodes.Length + 1} => n{q % Nodes.Length + 1}";
            ChunkFaults++;
            switch (_rng.Next(3))
            {
                case 0:
                    _queues[q].Dequeue();
                    Trace($"DROP {pair}: {m}");
                    break;
                case 1:
                    _queues[q] = new Queue<PeerMessage>(_queues[q].Prepend(m));
                    Trace($"DUPLICATE {pair}: {m}");
                    break;
                default:
                    _held[q] = true;
                    Trace($"HOLD {pair} at {m}");
                    break;
            }
            return true;
        }
        return false;
    }

    /// <summary>
    /// Liveness: heal everything, restart the crashed, then run fault-free until a leader serves, has committed a
    /// write of its own epoch (so everything before it is committed), and every member applied exactly the
    /// committed log and serves. False when <paramref name="maxMs"/> of simulated time was not enough.
    /// </summary>
    public bool Settle(long maxMs)
    {
        Trace("SETTLE: heal, restart, no faults");
        Heal();
        foreach (var n in Nodes) Restart(n);
        Check();
        long proposedInEpoch = -1;
        return RunUntil(() =>
        {
            var leader = ServingLeader();
            if (leader is null) return false;
            var core = leader.Core!;
            if (Coord.Actors.Journal.JournalRecord.EpochOf(core.CommittedZxid) != core.Epoch)
            {
                if (proposedInEpoch != core.Epoch && ProposeAtLeader(1).Count > 0) proposedInEpoch = core.Epoch;
                return false;
            }
            foreach (var n in Nodes)
                if (!n.Core!.Serving || n.Tree.Count != Reference.Count || n.Tree.DigestAt(n.Tree.Count) != Reference.DigestAt(Reference.Count))
                    return false;
            return true;
        }, maxMs, roundMs: 1 + _rng.Next(10));
    }

    /// <summary>Where the ensemble stands, for a failure message.</summary>
    public string Describe() => string.Join("; ", Nodes.Select(n => n.ToString())) + $"; reference {Reference.Count} txns through 0x{Reference.LastZxid:x}";
}

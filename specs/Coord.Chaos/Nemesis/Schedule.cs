using System.Globalization;
using Coord.Chaos.Cluster;

namespace Coord.Chaos.Nemesis;

/// <summary>
/// A fault schedule: what to do to the ensemble, in order, with a quiet gap after each fault, all derived from one
/// seed (the same seed gives the same schedule and the same follower choices, so a failing run replays). Generated
/// for a server kind: ZooKeeper's control run gets the same schedule with failpoints replaced by a kill of the same
/// member (ZooKeeper has no failpoints) and clock jumps by a kill (it has no clock control here), and without partitions
/// when the network lab is unavailable.
/// </summary>
public sealed record Schedule(long Seed, IReadOnlyList<Fault> Faults, int GapMs)
{
    public string Describe() => $"seed {Seed}: " + string.Join("; ", Faults.Select(f => f.Describe())) +
                                string.Create(CultureInfo.InvariantCulture, $" (gap {GapMs} ms)");

    /// <summary>Points a schedule may arm on Coord, with specs that crash, stall or fail at them.</summary>
    private static readonly (string Point, string[] Specs)[] Failpoints =
    [
        ("journal.before-commit", ["crash after=5", "delay(300) times=10", "fail after=5"]),
        ("journal.after-commit", ["crash after=5"]),
        ("leader.before-commit", ["crash after=5", "pause(1500) after=5 times=1"]),
        ("learner.after-ack", ["crash after=5"]),
        ("learner.before-apply", ["crash after=5", "delay(200) times=10"]),
    ];

    /// <param name="tickMs">The ensemble's tick: holds are multiples of the sync limit (5 ticks) so each fault outlasts it.</param>
    /// <param name="sessionTimeoutMs">The workload's session timeout: some freezes outlast it, so sessions expire.</param>
    public static Schedule Generate(long seed, ServerKind kind, bool partitions, int tickMs, int sessionTimeoutMs, int faults = 3)
    {
        var rng = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        int syncLimitMs = ChaosEnsemble.SyncLimit * tickMs;
        Target Who() => rng.Next(2) == 0 ? Target.Leader : Target.Follower;
        int Hold(int minLimits, int maxLimits) => syncLimitMs * rng.Next(minLimits, maxLimits + 1) + rng.Next(syncLimitMs);

        Fault One(bool allowBoth)
        {
            int pick = rng.Next(allowBoth ? 11 : 10);
            Fault f = pick switch
            {
                0 when partitions => new Isolate(Who(), Hold(2, 5)),
                1 when partitions => new OneWayLoss(Who(), Hold(2, 4)),
                2 when partitions => new Flap(Who(), rng.Next(syncLimitMs / 2, syncLimitMs * 2), Hold(3, 6)),
                3 => new KillRestart(Who(), Hold(1, 4)),
                4 => new Freeze(Target.Leader, rng.Next(2) == 0 ? Hold(2, 4) : sessionTimeoutMs + Hold(1, 2)),
                5 => new Freeze(Target.Follower, Hold(1, 3)),
                6 => FailpointOrKill(),
                7 => ClockJumpOrKill(),
                8 when partitions => new Split(rng.Next(2) == 0 ? Side.Majority : Side.Minority, Hold(2, 5)),
                9 when partitions => new Bridge(Who(), Hold(2, 5)),
                10 => new Both(One(false), One(false)),
                _ => new KillRestart(Who(), Hold(1, 3)),
            };
            return f;
        }

        Fault FailpointOrKill()
        {
            var (point, specs) = Failpoints[rng.Next(Failpoints.Length)];
            string spec = specs[rng.Next(specs.Length)];
            var who = point.StartsWith("leader.", StringComparison.Ordinal) ? Target.Leader
                : point.StartsWith("learner.", StringComparison.Ordinal) ? Target.Follower : Who();
            int hold = Hold(2, 4);
            return kind == ServerKind.Coord ? new FailpointFault(who, point, spec, hold) : new KillRestart(who, hold);
        }

        Fault ClockJumpOrKill()
        {
            var who = Who();
            long offset = (rng.Next(2) == 0 ? -1 : 1) * 3_600_000L * rng.Next(1, 25);
            int hold = Hold(2, 4);
            return kind == ServerKind.Coord ? new ClockJump(who, offset, hold) : new KillRestart(who, hold);
        }

        var list = Enumerable.Range(0, faults).Select(_ => One(allowBoth: true)).ToList();
        return new Schedule(seed, list, syncLimitMs * 2);
    }
}

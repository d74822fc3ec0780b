using System.Globalization;

namespace Coord.Chaos.Nemesis;

/// <summary>Whom a fault hits: the member leading when it starts, or one that follows.</summary>
public enum Target { Leader, Follower }

/// <summary>Which side of a majority/minority split the leader (when it starts) ends up on.</summary>
public enum Side { Majority, Minority }

/// <summary>
/// One fault of a schedule, held for <see cref="HoldMs"/> and then undone (healed, thawed, restarted, disarmed).
/// Targets are resolved when the fault starts (the leader then, a follower chosen by the schedule's random numbers).
/// </summary>
public abstract record Fault(int HoldMs)
{
    public abstract string Name { get; }
    public virtual string Describe() => string.Create(CultureInfo.InvariantCulture, $"{Name} for {HoldMs} ms");
}

/// <summary>The target cut off from every other member (both directions); clients still reach it.</summary>
public sealed record Isolate(Target Who, int HoldMs) : Fault(HoldMs)
{
    public override string Name => $"isolate the {Who.ToString().ToLowerInvariant()}";
}

/// <summary>
/// The members split in two: a minority of (n-1)/2 (one of three, two of five) cut off from the majority both ways,
/// with the leader on <see cref="LeaderSide"/>; the other members of each side are chosen by the schedule's random
/// numbers. With the leader in the minority the majority must elect a new one and the old one must stop acknowledging.
/// </summary>
public sealed record Split(Side LeaderSide, int HoldMs) : Fault(HoldMs)
{
    public override string Name => $"split the members with the leader in the {LeaderSide.ToString().ToLowerInvariant()}";
}

/// <summary>
/// A bridge (Jepsen's "bridge" partition): the other members in two halves that cannot reach each other, the target
/// alone reaching both. Each half with the bridge is a majority, so a protocol that trusts reachability instead of
/// quorums and epochs could end up with two leaders.
/// </summary>
public sealed record Bridge(Target Who, int HoldMs) : Fault(HoldMs)
{
    public override string Name => $"bridge: the others split in halves, only the {Who.ToString().ToLowerInvariant()} reaches both";
}

/// <summary>The target's packets to the others dropped, theirs to it delivered (one-way loss).</summary>
public sealed record OneWayLoss(Target Who, int HoldMs) : Fault(HoldMs)
{
    public override string Name => $"drop everything the {Who.ToString().ToLowerInvariant()} sends to the others";
}

/// <summary>The target's links cut and healed again every <see cref="PeriodMs"/> for the whole hold.</summary>
public sealed record Flap(Target Who, int PeriodMs, int HoldMs) : Fault(HoldMs)
{
    public override string Name => $"flap the {Who.ToString().ToLowerInvariant()}'s links every {PeriodMs} ms";
}

/// <summary>SIGKILL of the target; it is started again on its data after the hold.</summary>
public sealed record KillRestart(Target Who, int HoldMs) : Fault(HoldMs)
{
    public override string Name => $"kill -9 the {Who.ToString().ToLowerInvariant()}, restart it";
}

/// <summary>SIGSTOP of the target for the hold (longer than the session timeout makes its sessions expire), then SIGCONT.</summary>
public sealed record Freeze(Target Who, int HoldMs) : Fault(HoldMs)
{
    public override string Name => $"SIGSTOP the {Who.ToString().ToLowerInvariant()}";
}

/// <summary>Coord only: a failpoint armed on the target for the hold, then turned off (a crash is restarted).</summary>
public sealed record FailpointFault(Target Who, string Point, string Spec, int HoldMs) : Fault(HoldMs)
{
    public override string Name => $"failpoint {Point}={Spec} on the {Who.ToString().ToLowerInvariant()}";
}

/// <summary>Coord only: the target's wall clock jumps by <see cref="OffsetMs"/> (hours, either way) for the hold.</summary>
public sealed record ClockJump(Target Who, long OffsetMs, int HoldMs) : Fault(HoldMs)
{
    public override string Name => $"jump the {Who.ToString().ToLowerInvariant()}'s wall clock by {OffsetMs / 1000} s";
}

/// <summary>Two faults at once (e.g. a partition while a member is down).</summary>
public sealed record Both(Fault First, Fault Second) : Fault(Math.Max(First.HoldMs, Second.HoldMs))
{
    public override string Name => $"{First.Describe()} + {Second.Describe()}";
    public override string Describe() => $"({Name})";
}

using System.Globalization;

namespace Coord.Chaos.Nemesis;

/// <summary>Whom a fault hits: the member leading when it starts, one that follows, or a fixed member.</summary>
public enum Target { Leader, Follower }

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

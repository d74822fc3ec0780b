using Coord.Actors.Time;

namespace Coord.Actors.Ensemble;

/// <summary>
/// Whether an ensemble member may answer reads now (<see cref="Replication.ReplicationCore.ServingLeaseUntilMs"/>),
/// published by the replication actor after every message and read by the applier before a read: a leader paused or
/// cut off past the sync limit answers nothing from its tree even before its core notices on the next tick.
/// </summary>
public sealed class ServingLease(IClock clock)
{
    private long _untilMs;

    public void Set(long untilMs) => Volatile.Write(ref _untilMs, untilMs);

    public bool Valid => clock.MonotonicMs < Volatile.Read(ref _untilMs);
}

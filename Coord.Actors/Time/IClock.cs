namespace Coord.Actors.Time;

/// <summary>
/// The only way the core learns the time. Monotonic time drives session expiry; wall time stamps
/// ctime/mtime. Tests and the simulator pass a manual clock.
/// </summary>
public interface IClock
{
    /// <summary>Monotonic milliseconds; only differences are meaningful.</summary>
    long MonotonicMs { get; }

    /// <summary>Wall-clock milliseconds since the Unix epoch (ctime/mtime).</summary>
    long WallMs { get; }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(long monotonicMs = 0, long wallMs = 1_700_000_000_000) : IClock
{
    private long _mono = monotonicMs;
    private long _wall = wallMs;
    public long MonotonicMs => Interlocked.Read(ref _mono);
    public long WallMs => Interlocked.Read(ref _wall);

    public void Advance(long ms)
    {
        Interlocked.Add(ref _mono, ms);
        Interlocked.Add(ref _wall, ms);
    }
}

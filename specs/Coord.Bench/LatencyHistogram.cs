using System.Diagnostics;
using System.Numerics;

namespace Coord.Bench;

/// <summary>
/// Log-linear histogram of latencies in Stopwatch ticks (HdrHistogram's layout with 64 sub-buckets per
/// power of two, so any recorded value is reported within 1/64 ≈ 1.6% of itself). Fixed size, no
/// allocation when recording. Not thread-safe: one per connection, merged at the end.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBuckets = 64;
    private const int SubBucketBits = 6;

    // Values below 2*SubBuckets are exact; above, each power of two gets SubBuckets buckets.
    private readonly long[] _counts = new long[2 * SubBuckets + (64 - SubBucketBits) * SubBuckets];

    public long Count { get; private set; }
    public long MaxTicks { get; private set; }
    private double _sumTicks;

    public void Record(long ticks)
    {
        if (ticks < 0) ticks = 0;
        _counts[Index(ticks)]++;
        Count++;
        _sumTicks += ticks;
        if (ticks > MaxTicks) MaxTicks = ticks;
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Count += other.Count;
        _sumTicks += other._sumTicks;
        MaxTicks = Math.Max(MaxTicks, other.MaxTicks);
    }

    private static int Index(long v)
    {
        if (v < 2 * SubBuckets) return (int)v;
        int shift = (63 - BitOperations.LeadingZeroCount((ulong)v)) - SubBucketBits; // v >> shift is in [64, 128)
        return 2 * SubBuckets + (shift - 1) * SubBuckets + (int)((v >> shift) - SubBuckets);
    }

    /// <summary>Largest value that falls in bucket <paramref name="index"/> (reports err on the high side).</summary>
    private static long UpperBound(int index)
    {
        if (index < 2 * SubBuckets) return index;
        int shift = (index - 2 * SubBuckets) / SubBuckets + 1;
        long sub = (index - 2 * SubBuckets) % SubBuckets + SubBuckets;
        return ((sub + 1) << shift) - 1;
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1) in microseconds; NaN when empty.</summary>
    public double QuantileMicros(double q)
    {
        if (Count == 0) return double.NaN;
        long rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return TicksToMicros(Math.Min(UpperBound(i), MaxTicks));
        }
        return TicksToMicros(MaxTicks);
    }

    public double MeanMicros => Count == 0 ? double.NaN : TicksToMicros((long)(_sumTicks / Count));
    public double MaxMicros => Count == 0 ? double.NaN : TicksToMicros(MaxTicks);

    public static double TicksToMicros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}

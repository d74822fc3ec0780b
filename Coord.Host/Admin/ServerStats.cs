using Coord.Protocol;

namespace Coord.Host.Admin;

/// <summary>Request latency in microseconds: min/avg/max since the last reset. Thread-safe.</summary>
public sealed class LatencyStats
{
    private readonly Lock _gate = new();
    private long _count, _totalUs, _minUs = long.MaxValue, _maxUs;

    public void Record(long us)
    {
        lock (_gate)
        {
            _count++;
            _totalUs += us;
            if (us < _minUs) _minUs = us;
            if (us > _maxUs) _maxUs = us;
        }
    }

    public void Reset()
    {
        lock (_gate) { _count = 0; _totalUs = 0; _minUs = long.MaxValue; _maxUs = 0; }
    }

    /// <summary>(min, avg, max) in milliseconds, as ZooKeeper prints them.</summary>
    public (double MinMs, double AvgMs, double MaxMs, long Count) Snapshot()
    {
        lock (_gate)
        {
            if (_count == 0) return (0, 0, 0, 0);
            return (_minUs / 1000.0, _totalUs / 1000.0 / _count, _maxUs / 1000.0, _count);
        }
    }
}

/// <summary>Server-wide packet counters and latency (srvr, stat, mntr; srst resets), and what /metrics adds to them.</summary>
/// <param name="onAnswered">Told of every request answered (its op and latency in microseconds) on the connection's
/// thread, after the figures here are updated: the admin server's latency histograms. Must be quick and lock-free.</param>
public sealed class ServerStats(Action<OpCode, long>? onAnswered = null)
{
    private long _received, _sent;
    public LatencyStats Latency { get; } = new();

    /// <summary>A request was answered <paramref name="us"/> microseconds after it arrived (srvr's latency, the metrics' histograms).</summary>
    public void Answered(OpCode op, long us)
    {
        Latency.Record(us);
        onAnswered?.Invoke(op, us);
    }

    /// <summary>Connections refused since start because their IP reached connections-per-ip-max (not reset by srst;
    /// ZooKeeper's connection_rejected).</summary>
    public long ConnectionsRefused => Interlocked.Read(ref _refused);
    private long _refused;
    public void ConnectionRefused() => Interlocked.Increment(ref _refused);
    public long StartedAtMs { get; } = Environment.TickCount64;
    public long Received => Interlocked.Read(ref _received);
    public long Sent => Interlocked.Read(ref _sent);
    public void PacketReceived() => Interlocked.Increment(ref _received);
    public void PacketSent()
    {
        Interlocked.Increment(ref _sent);
        Interlocked.Increment(ref _sentTotal);
    }

    /// <summary>Socket writes on client connections since start (not reset by srst): packets sent per write is the reply batching.</summary>
    public long SocketWrites => Interlocked.Read(ref _socketWrites);
    private long _socketWrites;
    public void SocketWrite() => Interlocked.Increment(ref _socketWrites);

    /// <summary>Packets sent since start (not reset by srst), for the batching ratio.</summary>
    public long PacketsSentTotal => Interlocked.Read(ref _sentTotal);
    private long _sentTotal;

    public void Reset()
    {
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _sent, 0);
        Latency.Reset();
    }
}

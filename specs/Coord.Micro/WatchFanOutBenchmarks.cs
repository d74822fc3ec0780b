using BenchmarkDotNet.Attributes;
using Coord.Actors.Watches;
using Coord.Protocol;

namespace Coord.Micro;

/// <summary>
/// One setData firing the data watches of N watchers on one path. One-time watches are consumed by the
/// fire, so that case re-arms them each time (the re-arm is part of the figure, as it is in real use:
/// every client re-reads with a watch); persistent watches fire without being consumed.
/// </summary>
[MemoryDiagnoser]
public class WatchFanOutBenchmarks
{
    private readonly WatchTable _oneTime = new();
    private readonly WatchTable _persistent = new();
    private readonly List<WatchDelivery> _out = new(1024);

    [Params(100, 1000)]
    public int Watchers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        for (long w = 1; w <= Watchers; w++)
        {
            _oneTime.Add("/app/config", w, WatchBits.Data);
            _persistent.Add("/app/config", w, WatchBits.Persistent);
        }
    }

    [Benchmark]
    public int OneTimeFireAndRearm()
    {
        _out.Clear();
        _oneTime.Fire("/app/config", EventType.NodeDataChanged, _out);
        foreach (var d in _out) _oneTime.Add("/app/config", d.WatcherId, WatchBits.Data);
        return _out.Count;
    }

    [Benchmark]
    public int PersistentFire()
    {
        _out.Clear();
        _persistent.Fire("/app/config", EventType.NodeDataChanged, _out);
        return _out.Count;
    }
}

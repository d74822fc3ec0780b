using BenchmarkDotNet.Attributes;
using Coord.Actors.Journal;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Micro;

/// <summary>
/// Journal appends, per txn. SQLite appends are durable (WAL, synchronous=FULL: one fsync per batch), so
/// batch 1 measures the fsync and batch 32 shows what group commit buys; they go to a temp folder, so the
/// figures depend on that disk. The in-memory journal is the floor: the cost of the interface alone.
/// </summary>
[MemoryDiagnoser]
public class JournalBenchmarks
{
    private readonly byte[] _data = new byte[32];
    private string _dir = "";
    private SqliteJournal? _sqlite;
    private InMemoryJournal? _memory;
    private long _zxid;

    [Params(1, 32)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "coord-micro-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(_dir);
        _sqlite = SqliteJournal.Open(_dir);
        _memory = new InMemoryJournal();
        _zxid = 0;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sqlite?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _memory?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private SequencedTxn[] NextBatch()
    {
        var batch = new SequencedTxn[Batch];
        for (int i = 0; i < batch.Length; i++)
        {
            long z = ++_zxid;
            batch[i] = new SequencedTxn(new TxnHeader(0x100, (int)z, z, z), new SetDataTxn("/app/config", _data, (int)z));
        }
        return batch;
    }

    // Divide the reported time by Batch for the cost per txn.
    [Benchmark]
    public ValueTask SqliteAppend() => _sqlite!.AppendAsync(NextBatch());

    [Benchmark]
    public ValueTask InMemoryAppend() => _memory!.AppendAsync(NextBatch());
}

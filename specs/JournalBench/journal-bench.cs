#:project ../../Coord.Actors/Coord.Actors.csproj
#:property PublishAot=false

// Measures the journal against the disk (figures go in the issue note, not in a timed test):
//   dotnet run specs/JournalBench/journal-bench.cs -- [DATA-DIR]
// 1. raw fsync/fdatasync rate: 1 KiB written then synced, in the data dir;
// 2. SqliteJournal, 20,000 single-txn batches one after another (one commit and WAL fsync each): the
//    single-fsync limit through SQLite;
// 3. SqliteJournal fed by 64 concurrent producers through a sequencer-like batcher (one append in flight,
//    what arrives meanwhile forms the next batch): txns/s and the average batch size group commit reaches.
using System.Diagnostics;
using System.Runtime.InteropServices;
using Coord.Actors.Journal;
using Coord.Actors.Txns;

string root = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "coord-journal-bench");
Directory.CreateDirectory(root);
const int SyncsRaw = 2_000, Sequential = 20_000, Producers = 64, GroupTxns = 100_000;

Console.WriteLine($"data dir: {root}");
// Appending grows the file, so each sync also commits a metadata change; overwriting a preallocated
// region (what SQLite's WAL does once it has reached its size) syncs data only. Both are shown.
foreach (bool overwrite in new[] { false, true })
{
    string how = overwrite ? "overwriting a preallocated file" : "appending to a growing file  ";
    Console.WriteLine($"raw fsync     (1 KiB + fsync, {how}):     {RawSync(Path.Combine(root, "raw.bin"), false, overwrite):N0} /s");
    Console.WriteLine($"raw fdatasync (1 KiB + fdatasync, {how}): {RawSync(Path.Combine(root, "raw.bin"), true, overwrite):N0} /s");
}

string seqDir = Fresh(Path.Combine(root, "sequential"));
await using (var j = SqliteJournal.Open(seqDir))
{
    var sw = Stopwatch.StartNew();
    for (long z = 1; z <= Sequential; z++) await j.AppendAsync([Txn(z)]);
    Console.WriteLine($"sqlite, {Sequential:N0} single-txn batches in sequence: {Sequential / sw.Elapsed.TotalSeconds:N0} appends/s");
}

string groupDir = Fresh(Path.Combine(root, "group"));
await using (var j = SqliteJournal.Open(groupDir))
{
    var batcher = new Batcher(j);
    var sw = Stopwatch.StartNew();
    int perProducer = GroupTxns / Producers;
    await Task.WhenAll(Enumerable.Range(0, Producers).Select(_ => Task.Run(async () =>
    {
        for (int i = 0; i < perProducer; i++) await batcher.SubmitAsync();
    })));
    double s = sw.Elapsed.TotalSeconds;
    long txns = (long)perProducer * Producers;
    Console.WriteLine($"sqlite, {Producers} producers through group commit: {txns / s:N0} txns/s, " +
                      $"{batcher.Batches:N0} batches, {(double)txns / batcher.Batches:N1} txns/batch average, {batcher.Batches / s:N0} commits/s");
}
Directory.Delete(root, recursive: true);
return 0;

static SequencedTxn Txn(long zxid) =>
    new(new TxnHeader(0x42, (int)zxid, zxid, 1_700_000_000_000), new SetDataTxn("/bench/node", new byte[100], (int)zxid));

static string Fresh(string dir)
{
    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    return dir;
}

static double RawSync(string path, bool useFdatasync, bool overwrite)
{
    var block = new byte[1024];
    using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
    if (overwrite)
    {
        f.Write(new byte[SyncsRaw * block.Length]);
        f.Flush(flushToDisk: true);
    }
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < SyncsRaw; i++)
    {
        if (overwrite) f.Position = (long)i * block.Length;
        f.Write(block);
        if (useFdatasync)
        {
            f.Flush(flushToDisk: false);
            if (Native.fdatasync((int)f.SafeFileHandle.DangerousGetHandle()) != 0) throw new IOException("fdatasync failed");
        }
        else f.Flush(flushToDisk: true);
    }
    return SyncsRaw / sw.Elapsed.TotalSeconds;
}

/// <summary>What the sequencer does: zxids in arrival order, one append in flight, the rest waits for the next batch.</summary>
sealed class Batcher(IJournal journal)
{
    private readonly Lock _gate = new();
    private List<(SequencedTxn Txn, TaskCompletionSource Done)> _pending = [];
    private bool _inFlight;
    private long _zxid;
    public long Batches;

    public Task SubmitAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _pending.Add((new SequencedTxn(new TxnHeader(0x42, 0, ++_zxid, 0), new SetDataTxn("/bench/node", new byte[100], 1)), done));
            if (_inFlight) return done.Task;
            _inFlight = true;
        }
        _ = FlushLoopAsync();
        return done.Task;
    }

    private async Task FlushLoopAsync()
    {
        while (true)
        {
            List<(SequencedTxn Txn, TaskCompletionSource Done)> batch;
            lock (_gate)
            {
                if (_pending.Count == 0) { _inFlight = false; return; }
                (batch, _pending) = (_pending, []);
            }
            Batches++;
            await journal.AppendAsync(batch.Select(p => p.Txn).ToArray());
            foreach (var p in batch) p.Done.SetResult();
        }
    }
}

static class Native
{
    [DllImport("libc", SetLastError = true)]
    public static extern int fdatasync(int fd);
}

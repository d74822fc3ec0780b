using System.Collections.Concurrent;
using System.Diagnostics;
using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Ensemble;

/// <summary>What a <see cref="SnapshotReceiver"/> ends with: the leader's snapshot checked, parsed and staged durably.</summary>
public sealed record ReceivedSnapshot(SnapshotFile Staged, DataTree Tree);

/// <summary>
/// A learner's side of SNAP while the leader's pieces arrive: two background threads, one writing each piece to the
/// staging temp file (fsync every <see cref="SyncEveryBytes"/>, so the last one is short), one parsing the pieces as they
/// come (<see cref="SnapshotFormat.ReadTreeStreamed"/>). When the last piece is in, only the tail remains: the end of the
/// parse, the checksum check, the tree built, one short fsync and the rename to the staged name. Nothing here touches
/// the member's journal or its snapshots: <see cref="Recovery.InstallStagedAsync"/> does, after
/// <see cref="FinishAsync"/>, so a damaged or missing piece fails the install before anything is replaced, and a
/// crash leaves at most a temp file that the next start deletes.
/// <para>Contract: <see cref="Add"/>, <see cref="Start"/>, <see cref="FinishAsync"/> and <see cref="Abandon"/> are called
/// from one thread (the replica journal actor); pieces are held until the threads take them (the learner acknowledges
/// pieces on arrival, so at worst all of them, as before streaming).</para>
/// </summary>
public sealed partial class SnapshotReceiver
{
    /// <summary>Staged bytes between two fsyncs of the temp file.</summary>
    public const long SyncEveryBytes = 32L << 20;

    private readonly BlockingCollection<ReadOnlyMemory<byte>> _toParse = new();
    private readonly BlockingCollection<ReadOnlyMemory<byte>> _toStage = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly SnapshotStore _store;
    private readonly ILogger _log;
    private Task<DataTree>? _parse;
    private Task<SnapshotFile>? _stage;
    private int _added;
    private long _lastPieceTicks;

    public SnapshotReceiver(long zxid, int count, SnapshotStore store, ILogger log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Zxid = zxid;
        Count = count;
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _log = log ?? throw new ArgumentNullException(nameof(log));
    }

    public long Zxid { get; }
    public int Count { get; }
    public bool Started => _parse is not null;

    /// <summary>The next piece, in order: a byte[] (as the peer codec decodes them) or a <see cref="ReadOnlyMemory{T}"/> of bytes.</summary>
    public void Add(object piece)
    {
        var bytes = piece switch
        {
            byte[] a => a,
            ReadOnlyMemory<byte> m => m,
            _ => throw new InvalidOperationException($"a snapshot piece is bytes, not {piece?.GetType().FullName ?? "null"}"),
        };
        if (_added >= Count) throw new InvalidOperationException($"snapshot piece {_added + 1} of 0x{Zxid:x} beyond its {Count}");
        _added++;
        if (_added == Count) _lastPieceTicks = Stopwatch.GetTimestamp();
        if (_abandon.IsCancellationRequested) return;
        _toParse.Add(bytes);
        _toStage.Add(bytes);
    }

    /// <summary>Starts the two threads (idempotent). Pieces added before wait for them.</summary>
    public void Start()
    {
        if (_parse is not null) return;
        var started = Stopwatch.GetTimestamp();
        var staging = _store.BeginStaging(Zxid);
        _stage = BackgroundThread.Run("coord-snap-stage", () => Stage(staging));
        _parse = BackgroundThread.Run("coord-snap-parse", () =>
        {
            var tree = SnapshotFormat.ReadTreeStreamed(_toParse.GetConsumingEnumerable(_abandon.Token));
            LogParsed(_log, Zxid, tree.NodeCount, Stopwatch.GetElapsedTime(started).TotalMilliseconds, TailMs());
            return tree;
        });
    }

    private SnapshotFile Stage(SnapshotStore.StagingFile staging)
    {
        using (staging)
        {
            long synced = 0;
            foreach (var piece in _toStage.GetConsumingEnumerable(_abandon.Token))
            {
                staging.Write(piece.Span);
                if (staging.Length - synced >= SyncEveryBytes)
                {
                    staging.Sync();
                    synced = staging.Length;
                }
            }
            // The pieces are checked by the parser; a staged file is only committed (below, in FinishAsync) once it has.
            return FinishStaging(staging);
        }
    }

    private readonly TaskCompletionSource<bool> _parsed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SnapshotFile FinishStaging(SnapshotStore.StagingFile staging)
    {
        // Wait for the parser's verdict before the temp file gets the staged name: a snapshot that does not check out is
        // never staged (a restart must not find it), and its temp file goes with the using above.
        if (!_parsed.Task.GetAwaiter().GetResult()) throw new OperationCanceledException("the snapshot did not parse");
        var file = staging.Commit();
        LogStaged(_log, Zxid, staging.Length, TailMs());
        return file;
    }

    /// <summary>
    /// Every piece was added: waits for the parse (checksum checked, tree built) and the durable staging. Throws
    /// <see cref="SnapshotCorruptException"/> for bytes that are no valid snapshot of <see cref="Zxid"/>, an I/O error as the
    /// file system reports it; in both cases nothing was staged.
    /// </summary>
    public async Task<ReceivedSnapshot> FinishAsync()
    {
        if (_added != Count) throw new InvalidOperationException($"snapshot at 0x{Zxid:x} finished after {_added} of {Count} pieces");
        Start();
        _toParse.CompleteAdding();
        _toStage.CompleteAdding();
        DataTree tree;
        try
        {
            tree = await _parse!.ConfigureAwait(false);
            if (tree.LastAppliedZxid != Zxid)
                throw new SnapshotCorruptException($"corrupt snapshot: the leader sent it as 0x{Zxid:x}, it holds 0x{tree.LastAppliedZxid:x}");
        }
        catch
        {
            _parsed.TrySetResult(false);
            // The stager stops without staging and deletes its temp file; whatever it says, the parse's error is the one to tell.
            try { await _stage!.ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or IOException or UnauthorizedAccessException) { }
            throw;
        }
        _parsed.TrySetResult(true);
        var staged = await _stage!.ConfigureAwait(false);
        return new ReceivedSnapshot(staged, tree);
    }

    /// <summary>The snapshot will not be installed: the threads stop and the temp file is deleted; the pieces are let go.</summary>
    public void Abandon()
    {
        _abandon.Cancel();
        _parsed.TrySetResult(false);
        _toParse.CompleteAdding();
        _toStage.CompleteAdding();
        _parse?.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        _stage?.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        LogAbandoned(_log, Zxid, _added, Count);
    }

    private double TailMs() => _lastPieceTicks == 0 ? -1 : Stopwatch.GetElapsedTime(_lastPieceTicks).TotalMilliseconds;

    [LoggerMessage(EventId = 1506, Level = LogLevel.Information,
        Message = "SNAP 0x{Zxid:x}: parsed and checked {Nodes} nodes, {Ms:0} ms after the first piece, {TailMs:0} ms after the last")]
    private static partial void LogParsed(ILogger log, long zxid, int nodes, double ms, double tailMs);

    [LoggerMessage(EventId = 1507, Level = LogLevel.Information,
        Message = "SNAP 0x{Zxid:x}: staged {Bytes} bytes durably, {TailMs:0} ms after the last piece")]
    private static partial void LogStaged(ILogger log, long zxid, long bytes, double tailMs);

    [LoggerMessage(EventId = 1508, Level = LogLevel.Warning, Message = "SNAP 0x{Zxid:x}: abandoned after {Received} of {Count} pieces")]
    private static partial void LogAbandoned(ILogger log, long zxid, int received, int count);
}

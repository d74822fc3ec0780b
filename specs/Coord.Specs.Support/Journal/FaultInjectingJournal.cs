using Coord.Actors.Journal;
using Coord.Actors.Txns;
using Microsoft.Extensions.Logging;

namespace Coord.Specs.Support;

/// <summary>
/// Wraps a journal and injects storage faults for specs (and later the crash specs). What it simulates,
/// and at which layer — honestly:
/// <list type="bullet">
/// <item><see cref="FailNextAppend"/>: the next batch never reaches the inner journal and its task faults
/// with the given error, as a <c>write</c> that returns EIO. The wrapper is failed from then on.</item>
/// <item><see cref="FailNextFsync"/>: the next batch IS written to the inner journal (for SQLite: committed
/// and really fsynced — SQLite's fsync cannot be intercepted from here), then its task faults. That is
/// the caller's view of a failed fsync: the data may or may not be on disk, so nothing may be
/// acknowledged, and after a restart the batch may be there. The wrapper is failed from then on.</item>
/// <item><see cref="DropUnsyncedOnCrash"/>: from now on appends are "written but not yet fsynced": the
/// wrapper holds them and their tasks stay pending until <see cref="SyncAsync"/> writes them through.
/// <see cref="SimulateCrashAsync"/> loses what is still held, as power loss loses the page cache.</item>
/// <item><see cref="TearLastWrite"/>: holds appends likewise; on <see cref="SimulateCrashAsync"/> the held
/// batches are written through, but the final txn of the last one is left half-written in storage (by
/// the tear hook, for SQLite <see cref="SqliteJournalDamage.TearTxn"/>: half the payload, checksum
/// mismatch), so the next open must see and drop a torn tail. Nothing that was held is acknowledged.</item>
/// <item><see cref="FailNextReset"/>: the next <see cref="ResetToAsync"/> faults, either before it reaches the
/// inner journal (the reset's transaction never committed: the old journal survives) or after the inner
/// journal committed it (a failed fsync report: the reset journal survives). A reset is one transaction, so
/// these are the only two outcomes a crash can leave. The wrapper is failed from then on.</item>
/// </list>
/// Not simulated: faults inside SQLite's own files (a torn WAL frame or page). SQLite's WAL checksums
/// handle those below the journal and turn them into a lost, never-acknowledged transaction — the same
/// outcome as <see cref="DropUnsyncedOnCrash"/>. A crash here closes the inner journal cleanly (appends
/// already handed to it finish); a real kill -9 does not, which is what the process-level crash specs cover.
/// With nothing armed the wrapper passes everything through unchanged.
/// </summary>
public sealed class FaultInjectingJournal(IJournal inner, Action<long>? tearTxn = null) : IJournal
{
    private readonly Lock _gate = new();
    private readonly List<(IReadOnlyList<SequencedTxn> Batch, TaskCompletionSource Done)> _held = [];
    private IOException? _failNextAppend;
    private IOException? _failNextFsync;
    private (IOException Error, bool Applied)? _failNextReset;
    private bool _holdUnsynced;
    private bool _tearOnCrash;
    private Exception? _failure;
    private bool _crashed;
    private long _lastAcceptedZxid = inner.LastDurableZxid;

    public IJournal Inner { get; } = inner;

    /// <summary>A wrapper over the SQLite journal in <paramref name="dataDir"/> that can tear its rows.</summary>
    public static FaultInjectingJournal OverSqlite(string dataDir, ILogger? log = null) =>
        new(SqliteJournal.Open(dataDir, log), zxid => SqliteJournalDamage.TearTxn(dataDir, zxid));

    public long LastDurableZxid => Inner.LastDurableZxid;
    public long FirstZxid => Inner.FirstZxid;
    public long AcceptedEpoch => Inner.AcceptedEpoch;
    public long CurrentEpoch => Inner.CurrentEpoch;

    public void FailNextAppend(IOException error) { lock (_gate) _failNextAppend = error ?? throw new ArgumentNullException(nameof(error)); }

    public void FailNextFsync(IOException? error = null) { lock (_gate) _failNextFsync = error ?? new IOException("injected fsync failure"); }

    /// <summary>
    /// Fails the next <see cref="ResetToAsync"/> with <paramref name="error"/>; with <paramref name="applied"/> the
    /// inner journal is reset first (the commit happened, its confirmation did not arrive).
    /// </summary>
    public void FailNextReset(IOException error, bool applied)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (_gate) _failNextReset = (error, applied);
    }

    public void DropUnsyncedOnCrash() { lock (_gate) _holdUnsynced = true; }

    public void TearLastWrite()
    {
        if (tearTxn is null) throw new NotSupportedException("this journal was wrapped without a tear hook: its storage cannot be torn");
        lock (_gate) _holdUnsynced = _tearOnCrash = true;
    }

    /// <summary>The number of appends held as written-but-not-fsynced.</summary>
    public int HeldAppends { get { lock (_gate) return _held.Count; } }

    public ValueTask AppendAsync(IReadOnlyList<SequencedTxn> batch, CancellationToken ct = default)
    {
        IOException? failWrite, failFsync;
        lock (_gate)
        {
            if (_crashed) return ValueTask.FromException(new IOException("the journal crashed (simulated)"));
            if (_failure is { } f) return ValueTask.FromException(new IOException($"journal failed earlier: {f.Message}", f));
            JournalOrder.CheckBatch(batch, _lastAcceptedZxid);
            if (batch.Count == 0) return ValueTask.CompletedTask;
            (failWrite, _failNextAppend) = (_failNextAppend, null);
            (failFsync, _failNextFsync) = (_failNextFsync, null);
            if (failWrite is not null)
            {
                _failure = failWrite;
                return ValueTask.FromException(failWrite);
            }
            _lastAcceptedZxid = batch[^1].Header.Zxid;
            if (_holdUnsynced && failFsync is null)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _held.Add((batch, done));
                return new ValueTask(done.Task);
            }
        }
        return failFsync is null ? PassThroughAsync(batch, ct) : WriteThenFailAsync(batch, failFsync, ct);
    }

    private async ValueTask PassThroughAsync(IReadOnlyList<SequencedTxn> batch, CancellationToken ct)
    {
        try
        {
            await Inner.AppendAsync(batch, ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            lock (_gate) _failure ??= ex;
            throw;
        }
    }

    private async ValueTask WriteThenFailAsync(IReadOnlyList<SequencedTxn> batch, IOException error, CancellationToken ct)
    {
        lock (_gate) _failure = error;
        await Inner.AppendAsync(batch, ct).ConfigureAwait(false);
        throw error;
    }

    /// <summary>Writes every held append through to the inner journal, in order, and completes their tasks.</summary>
    public async ValueTask SyncAsync()
    {
        List<(IReadOnlyList<SequencedTxn> Batch, TaskCompletionSource Done)> held;
        lock (_gate) { held = [.. _held]; _held.Clear(); }
        foreach (var (batch, done) in held)
        {
            try
            {
                await Inner.AppendAsync(batch).ConfigureAwait(false);
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                lock (_gate) _failure ??= ex;
                done.TrySetException(ex);
            }
        }
    }

    /// <summary>
    /// Power loss: held appends are lost (or, with <see cref="TearLastWrite"/>, written with their last txn
    /// torn) and their tasks fault; the inner journal is closed. Reopen the store to see what survived.
    /// </summary>
    public async ValueTask SimulateCrashAsync()
    {
        List<(IReadOnlyList<SequencedTxn> Batch, TaskCompletionSource Done)> held;
        bool tear;
        lock (_gate)
        {
            if (_crashed) return;
            _crashed = true;
            held = [.. _held];
            _held.Clear();
            tear = _tearOnCrash && held.Count > 0;
        }
        if (tear)
            foreach (var (batch, _) in held) await Inner.AppendAsync(batch).ConfigureAwait(false);
        await Inner.DisposeAsync().ConfigureAwait(false);
        if (tear) tearTxn!(held[^1].Batch[^1].Header.Zxid);
        foreach (var (_, done) in held) done.TrySetException(new IOException("simulated crash before the batch was fsynced"));
    }

    public IEnumerable<SequencedTxn> ReadAfter(long afterZxid) => Inner.ReadAfter(afterZxid);

    /// <summary>
    /// Passed through; held appends are not simulated across a truncation (refused), since what a real disk
    /// would keep of them is exactly what the crash faults model.
    /// </summary>
    public ValueTask TruncateAfterAsync(long zxid, CancellationToken ct = default)
    {
        lock (_gate)
        {
            if (_crashed) return ValueTask.FromException(new IOException("the journal crashed (simulated)"));
            if (_failure is { } f) return ValueTask.FromException(new IOException($"journal failed earlier: {f.Message}", f));
            if (_held.Count > 0) throw new InvalidOperationException("cannot truncate while appends are held unsynced; SyncAsync first");
        }
        return TruncateThroughAsync(zxid, ct);
    }

    private async ValueTask TruncateThroughAsync(long zxid, CancellationToken ct)
    {
        await Inner.TruncateAfterAsync(zxid, ct).ConfigureAwait(false);
        // The new floor is where the inner journal now ends (the last txn at or below zxid), not zxid itself.
        lock (_gate) _lastAcceptedZxid = Inner.LastDurableZxid;
    }

    /// <summary>Passed through unless <see cref="FailNextReset"/> is armed; refused while appends are held, as a truncation is.</summary>
    public ValueTask ResetToAsync(long zxid, CancellationToken ct = default)
    {
        (IOException Error, bool Applied)? fail;
        lock (_gate)
        {
            if (_crashed) return ValueTask.FromException(new IOException("the journal crashed (simulated)"));
            if (_failure is { } f) return ValueTask.FromException(new IOException($"journal failed earlier: {f.Message}", f));
            if (_held.Count > 0) throw new InvalidOperationException("cannot reset while appends are held unsynced; SyncAsync first");
            JournalOrder.CheckReset(zxid);
            (fail, _failNextReset) = (_failNextReset, null);
            if (fail is { Applied: false } early)
            {
                _failure = early.Error;
                return ValueTask.FromException(early.Error);
            }
            if (fail is { } late) _failure = late.Error;
        }
        return ResetThroughAsync(zxid, fail?.Error, ct);
    }

    private async ValueTask ResetThroughAsync(long zxid, IOException? failAfter, CancellationToken ct)
    {
        await Inner.ResetToAsync(zxid, ct).ConfigureAwait(false);
        lock (_gate) _lastAcceptedZxid = zxid;
        if (failAfter is not null) throw failAfter;
    }

    public ValueTask PurgeThroughAsync(long zxid, CancellationToken ct = default)
    {
        lock (_gate)
            if (_failure is { } f) return ValueTask.FromException(new IOException($"journal failed earlier: {f.Message}", f));
        return Inner.PurgeThroughAsync(zxid, ct);
    }

    /// <summary>Passed through (no fault applies to epochs); refused once the wrapper has failed or crashed.</summary>
    public ValueTask SetAcceptedEpochAsync(long epoch, CancellationToken ct = default) =>
        RefusalIfBroken() ?? Inner.SetAcceptedEpochAsync(epoch, ct);

    /// <summary>Passed through (no fault applies to epochs); refused once the wrapper has failed or crashed.</summary>
    public ValueTask SetCurrentEpochAsync(long epoch, CancellationToken ct = default) =>
        RefusalIfBroken() ?? Inner.SetCurrentEpochAsync(epoch, ct);

    private ValueTask? RefusalIfBroken()
    {
        lock (_gate)
        {
            if (_crashed) return ValueTask.FromException(new IOException("the journal crashed (simulated)"));
            if (_failure is { } f) return ValueTask.FromException(new IOException($"journal failed earlier: {f.Message}", f));
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        bool crashed;
        lock (_gate) crashed = _crashed;
        if (!crashed) await Inner.DisposeAsync().ConfigureAwait(false);
    }
}

using Coord.Actors.Txns;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Actors.Journal;

/// <summary>
/// The durable journal: one SQLite database per server (<c>&lt;data-dir&gt;/coord.db</c>, WAL mode,
/// <c>synchronous=FULL</c>), one row per txn with a CRC-32C over zxid ‖ type ‖ payload.
/// <para>
/// Threads: <see cref="AppendAsync"/>, <see cref="TruncateAfterAsync"/>, <see cref="PurgeThroughAsync"/>,
/// <see cref="ResetToAsync"/> and the epoch setters only check their arguments and queue a request (never I/O, never a wait: the journal actor calls them from
/// its actor thread). One dedicated writer thread owns the write connection and runs requests in order;
/// an append is one transaction with a prepared, reused insert, and its task completes only after the
/// commit returned (the WAL is fsynced). Task completions run asynchronously so callers' continuations never
/// run on, or stall, the writer thread; <see cref="Append"/>'s callback is the one exception: it runs on the
/// writer thread right after the commit, which spares the journal actor a thread-pool hop per batch. The first write or commit error fails the journal for good: that
/// request and every later one fault with an <see cref="IOException"/>, since after a failed fsync the
/// state of the file is unknown and nothing further may be acknowledged.
/// </para>
/// <para>
/// <see cref="ReadAfter"/> opens its own read-only connection per enumeration, so it reads a consistent
/// WAL snapshot even while appends run (more than <see cref="IJournal"/> promises).
/// </para>
/// </summary>
public sealed partial class SqliteJournal : IJournal
{
    public const string FileName = "coord.db";

    /// <summary>Requests queued for the writer. The journal actor keeps one append in flight, so a full queue is a caller bug.</summary>
    public const int RequestsQueuedMax = 64;

    private readonly string _path;
    private readonly ILogger _log;
    private readonly SqliteConnection _conn;
    private readonly SQLitePCL.sqlite3_stmt _insert;
    // Used by the writer thread only: one encoding buffer for every txn instead of a fresh one each.
    private readonly Coord.Protocol.JuteWriter _payload = new(4096);
    private readonly WriterQueue<WriteRequest> _queue = new(RequestsQueuedMax);
    private readonly Thread _writer;
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _submitGate = new();

    // Written by the writer thread (and by Open before it starts), read by anyone.
    private long _lastDurableZxid;
    private long _firstZxid;
    private long _purgedThroughZxid;
    private volatile Exception? _failure;

    // Written by the writer thread after the commit that made them durable (and by Open), read by anyone.
    private long _acceptedEpoch;
    private long _currentEpoch;

    // The caller-side view: the highest zxid queued so far, so ordering is checked before anything is queued.
    private long _lastQueuedZxid;
    // Likewise for the epochs: the newest values queued, so "never backward" holds against what is in flight.
    private long _acceptedEpochQueued;
    private long _currentEpochQueued;
    private bool _disposed;

    public string Path => _path;
    public long LastDurableZxid => Volatile.Read(ref _lastDurableZxid);
    public long FirstZxid => Volatile.Read(ref _firstZxid);
    public long AcceptedEpoch => Volatile.Read(ref _acceptedEpoch);
    public long CurrentEpoch => Volatile.Read(ref _currentEpoch);

    /// <summary>True once a write failed; the journal then refuses everything.</summary>
    public bool Failed => _failure is not null;

    public static string PathIn(string dataDir) => System.IO.Path.Combine(dataDir, FileName);

    /// <summary>
    /// Opens (or creates) the journal in <paramref name="dataDir"/> and recovers it: a torn tail is
    /// truncated; anything else that is damaged throws <see cref="JournalCorruptException"/> and leaves the
    /// file as it was. A journal of format version 1 (no epochs) is upgraded in place. Synchronous I/O: call
    /// it at startup, not from an actor.
    /// </summary>
    public static SqliteJournal Open(string dataDir, ILogger? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        Directory.CreateDirectory(dataDir);
        string path = PathIn(dataDir);
        log ??= NullLogger.Instance;
        var conn = OpenConnection(path, SqliteOpenMode.ReadWriteCreate);
        try
        {
            long version = ConfigureAndCheckSchema(conn, path);
            var state = Recover(conn, path, log);
            // After recovery, so a torn tail cannot lend the upgrade the epoch of a txn that was never written.
            if (version == FormatVersion1) UpgradeFromVersion1(conn, path, log, state.LastZxid);
            var epochs = ReadEpochs(conn, path);
            return new SqliteJournal(path, log, conn, state, epochs);
        }
        catch
        {
            conn.Dispose();
            throw;
        }
    }

    private SqliteJournal(string path, ILogger log, SqliteConnection conn, RecoveredState state, Epochs epochs)
    {
        _acceptedEpoch = _acceptedEpochQueued = epochs.Accepted;
        _currentEpoch = _currentEpochQueued = epochs.Current;
        _path = path;
        _log = log;
        _conn = conn;
        _lastDurableZxid = _lastQueuedZxid = state.LastZxid;
        _firstZxid = state.FirstZxid;
        _purgedThroughZxid = state.PurgedThroughZxid;
        _insert = PrepareInsert(conn);
        _writer = new Thread(WriterLoop) { Name = "coord-journal-writer", IsBackground = true };
        _writer.Start();
        LogOpened(_log, path, state.FirstZxid, state.LastZxid, epochs.Accepted, epochs.Current);
    }

    public ValueTask AppendAsync(IReadOnlyList<SequencedTxn> batch, CancellationToken ct = default)
    {
        lock (_submitGate)
        {
            JournalOrder.CheckBatch(batch, _lastQueuedZxid);
            if (batch.Count == 0) return ValueTask.CompletedTask;
            var request = new AppendRequest(batch);
            if (!TrySubmit(request, out var refused)) return refused;
            _lastQueuedZxid = batch[^1].Header.Zxid;
            return new ValueTask(request.Done.Task);
        }
    }

    /// <summary>As <see cref="AppendAsync"/>, but <paramref name="onDone"/> runs on the writer thread right after the commit.</summary>
    public bool Append(IReadOnlyList<SequencedTxn> batch, Action<Exception?> onDone)
    {
        ArgumentNullException.ThrowIfNull(onDone);
        lock (_submitGate)
        {
            JournalOrder.CheckBatch(batch, _lastQueuedZxid);
            if (batch.Count == 0) return true;
            if (!TrySubmit(new AppendRequest(batch, onDone), out var refused))
            {
                refused.GetAwaiter().GetResult(); // throws why
                return true;
            }
            _lastQueuedZxid = batch[^1].Header.Zxid;
            return false;
        }
    }

    public ValueTask TruncateAfterAsync(long zxid, CancellationToken ct = default)
    {
        lock (_submitGate)
        {
            JournalOrder.CheckTruncate(zxid, Volatile.Read(ref _purgedThroughZxid));
            var request = new TruncateRequest(zxid);
            // The writer lowers the ordering floor once the truncation is done; the caller awaits that before appending.
            return TrySubmit(request, out var refused) ? new ValueTask(request.Done.Task) : refused;
        }
    }

    public ValueTask PurgeThroughAsync(long zxid, CancellationToken ct = default)
    {
        lock (_submitGate)
        {
            JournalOrder.CheckPurge(zxid, _lastQueuedZxid);
            var request = new PurgeRequest(zxid);
            return TrySubmit(request, out var refused) ? new ValueTask(request.Done.Task) : refused;
        }
    }

    public ValueTask ResetToAsync(long zxid, CancellationToken ct = default)
    {
        lock (_submitGate)
        {
            JournalOrder.CheckReset(zxid);
            var request = new ResetRequest(zxid);
            if (!TrySubmit(request, out var refused)) return refused;
            // Known now, unlike a truncation's new end: an append queued behind the reset is checked against it.
            _lastQueuedZxid = zxid;
            return new ValueTask(request.Done.Task);
        }
    }

    private bool TrySubmit(WriteRequest request, out ValueTask refused)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is { } failure)
        {
            refused = ValueTask.FromException(FailedEarlier(failure));
            return false;
        }
        if (!_queue.TryAdd(request))
            throw new InvalidOperationException(
                $"journal {_path}: {RequestsQueuedMax} requests already queued; the caller must await each append before the next");
        refused = default;
        return true;
    }

    private IOException FailedEarlier(Exception failure) =>
        new($"journal {_path} failed earlier and accepts no more writes: {failure.Message}", failure);

    /// <summary>Lets queued requests finish, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_submitGate)
        {
            if (_disposed) return;
            _disposed = true;
            _queue.CompleteAdding();
        }
        await _writerDone.Task.ConfigureAwait(false);
    }
}

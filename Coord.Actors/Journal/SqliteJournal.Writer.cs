using Coord.Actors.Faults;
using Coord.Actors.Txns;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Coord.Actors.Journal;

public sealed partial class SqliteJournal
{
    /// <summary>
    /// A unit of work for the writer thread, completed after its commit: through <see cref="Done"/> (whose
    /// continuations run asynchronously, never on the writer thread), or through a callback the caller gave
    /// to <see cref="Append"/>, called on the writer thread itself (no hand-off, no task).
    /// </summary>
    private abstract class WriteRequest
    {
        private TaskCompletionSource? _done;
        // Created on first use (a callback request never needs one); the submitter and the writer may race to it.
        public TaskCompletionSource Done
        {
            get
            {
                if (_done is { } done) return done;
                Interlocked.CompareExchange(ref _done, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);
                return _done;
            }
        }
        public abstract string Describe();
        public virtual void Complete(Exception? error)
        {
            if (error is null) Done.TrySetResult();
            else Done.TrySetException(error);
        }
    }

    private sealed class AppendRequest(IReadOnlyList<SequencedTxn> batch, Action<Exception?>? onDone = null) : WriteRequest
    {
        public IReadOnlyList<SequencedTxn> Batch { get; } = batch;

        public override void Complete(Exception? error)
        {
            if (onDone is null) base.Complete(error);
            else onDone(error);
        }

        public override string Describe() =>
            $"appending {Batch.Count} txns 0x{Batch[0].Header.Zxid:x}..0x{Batch[^1].Header.Zxid:x}";
    }

    private sealed class TruncateRequest(long zxid) : WriteRequest
    {
        public long Zxid { get; } = zxid;
        public override string Describe() => $"truncating after 0x{Zxid:x}";
    }

    private sealed class PurgeRequest(long zxid) : WriteRequest
    {
        /// <summary>Lowered by a truncation or reset that overtakes this purge between two slices (writer thread only).</summary>
        public long Zxid { get; set; } = zxid;
        public override string Describe() => $"purging through 0x{Zxid:x}";
    }

    private sealed class ResetRequest(long zxid) : WriteRequest
    {
        public long Zxid { get; } = zxid;
        public override string Describe() => $"resetting to 0x{Zxid:x}";
    }

    // Writer thread only: purges with slices still to run, requeued behind requests that arrived meanwhile.
    private readonly List<PurgeRequest> _slicedPurges = [];

    /// <summary>
    /// A truncation or reset to <paramref name="zxid"/> that overtakes an unfinished purge caps it there: the
    /// purge's later slices must not delete the txns appended above the new end (the leader's, at zxids the
    /// purge's target still covers).
    /// </summary>
    private void CapSlicedPurges(long zxid)
    {
        foreach (var p in _slicedPurges) p.Zxid = Math.Min(p.Zxid, zxid);
    }

    private void WriterLoop()
    {
        try
        {
            foreach (var request in _queue.GetConsumingEnumerable())
            {
                if (_failure is { } failure)
                {
                    request.Complete(FailedEarlier(failure));
                    continue;
                }
                try
                {
                    if (!Run(request))
                    {
                        // A long purge goes in slices: queued appends run between them instead of waiting.
                        if (!_queue.IsAddingCompleted && _queue.TryAdd(request))
                        {
                            if (!_slicedPurges.Contains(request)) _slicedPurges.Add((PurgeRequest)request);
                            continue;
                        }
                        while (!Run(request)) { }
                    }
                    if (request is PurgeRequest done) _slicedPurges.Remove(done);
                }
                catch (Exception ex)
                {
                    // The transaction was rolled back or its commit failed: the file's state is unknown to us,
                    // so nothing after this may be reported durable.
                    _failure = ex;
                    LogWriteFailed(_log, ex, _path, request.Describe());
                    request.Complete(new IOException($"journal {_path}: {request.Describe()} failed: {ex.Message}", ex));
                    continue;
                }
                // Outside the try: a throwing callback is the caller's bug, not a failed write.
                request.Complete(null);
            }
        }
        finally
        {
            _insert.Dispose();
            _conn.Dispose();
            _writerDone.TrySetResult();
        }
    }

    /// <summary>Runs a request, or a slice of it; false when more of it remains to be done.</summary>
    private bool Run(WriteRequest request)
    {
        switch (request)
        {
            case AppendRequest a: WriteBatch(a.Batch); return true;
            case TruncateRequest t: Truncate(t.Zxid); return true;
            case PurgeRequest p: return Purge(p.Zxid);
            case ResetRequest r: Reset(r.Zxid); return true;
            case EpochsRequest e: WriteEpochs(e.Accepted, e.Current); return true;
            default: throw new InvalidOperationException($"unknown journal request {request.GetType().Name}");
        }
    }

    /// <summary>The whole batch in one transaction: after a crash either all of it is in the file or none.</summary>
    private void WriteBatch(IReadOnlyList<SequencedTxn> batch)
    {
        using (var tx = _conn.BeginTransaction())
        {
            var db = _conn.Handle;
            foreach (var txn in batch)
            {
                _payload.Reset();
                TxnCodec.Write(_payload, txn);
                var payload = _payload.WrittenSpan;
                long zxid = txn.Header.Zxid;
                int type = (int)txn.Body.Type;
                Check(raw.sqlite3_bind_int64(_insert, 1, zxid), db);
                Check(raw.sqlite3_bind_int64(_insert, 2, JournalRecord.EpochOf(zxid)), db);
                Check(raw.sqlite3_bind_int(_insert, 3, type), db);
                Check(raw.sqlite3_bind_blob(_insert, 4, payload), db);
                Check(raw.sqlite3_bind_int64(_insert, 5, JournalRecord.Checksum(zxid, type, payload)), db);
                int rc = raw.sqlite3_step(_insert);
                raw.sqlite3_reset(_insert);
                if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, db);
            }
            if (Failpoints.Enabled) Failpoints.Hit(Failpoints.JournalBeforeCommit);
            tx.Commit();
        }
        if (Volatile.Read(ref _firstZxid) == 0) Volatile.Write(ref _firstZxid, batch[0].Header.Zxid);
        Volatile.Write(ref _lastDurableZxid, batch[^1].Header.Zxid);
        if (Failpoints.Enabled) Failpoints.Hit(Failpoints.JournalAfterCommit);
    }

    private static void Check(int rc, sqlite3? db)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, db);
    }

    private void Truncate(long zxid)
    {
        CapSlicedPurges(zxid);
        using (var tx = _conn.BeginTransaction())
        {
            using var cmd = _conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM txns WHERE zxid > $z";
            cmd.Parameters.AddWithValue("$z", zxid);
            int dropped = cmd.ExecuteNonQuery();
            tx.Commit();
            if (dropped > 0) LogTruncated(_log, _path, dropped, zxid);
        }
        long last = MaxZxid() ?? Volatile.Read(ref _purgedThroughZxid);
        Volatile.Write(ref _lastDurableZxid, last);
        Volatile.Write(ref _firstZxid, MinZxid() ?? 0);
        lock (_submitGate) _lastQueuedZxid = last;
    }

    /// <summary>
    /// Every row and the new purge point in one transaction: a crash leaves the old journal or the reset one,
    /// never rows without the purge point that explains their absence. Not sliced as a purge is: slices would
    /// expose a half-reset journal to a crash, and deleting a whole table is SQLite's cheap case anyway.
    /// </summary>
    private void Reset(long zxid)
    {
        CapSlicedPurges(zxid);
        int dropped;
        using (var tx = _conn.BeginTransaction())
        {
            using var cmd = _conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM txns";
            dropped = cmd.ExecuteNonQuery();
            SetMeta(_conn, tx, MetaPurgedThrough, zxid);
            tx.Commit();
        }
        Volatile.Write(ref _purgedThroughZxid, zxid);
        Volatile.Write(ref _firstZxid, 0);
        Volatile.Write(ref _lastDurableZxid, zxid);
        LogReset(_log, _path, dropped, zxid);
    }

    /// <summary>Rows deleted per purge transaction: a snapshot's worth at once (~100,000) held appends for ~80 ms.</summary>
    public const int PurgeRowsPerSlice = 2000;

    /// <summary>
    /// Deletes the oldest rows up to <paramref name="zxid"/>, at most <see cref="PurgeRowsPerSlice"/> of them, and
    /// records the purge point reached in the same transaction, so a reopen never sees a gap it cannot
    /// explain. True when everything through <paramref name="zxid"/> is gone.
    /// </summary>
    private bool Purge(long zxid)
    {
        if (zxid <= Volatile.Read(ref _purgedThroughZxid)) return true;
        long through;
        using (var tx = _conn.BeginTransaction())
        {
            using var slice = _conn.CreateCommand();
            slice.Transaction = tx;
            slice.CommandText = "SELECT zxid FROM txns WHERE zxid <= $z ORDER BY zxid LIMIT 1 OFFSET $n";
            slice.Parameters.AddWithValue("$z", zxid);
            slice.Parameters.AddWithValue("$n", PurgeRowsPerSlice - 1);
            through = slice.ExecuteScalar() as long? ?? zxid;
            using var cmd = _conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM txns WHERE zxid <= $z";
            cmd.Parameters.AddWithValue("$z", through);
            cmd.ExecuteNonQuery();
            SetMeta(_conn, tx, MetaPurgedThrough, through);
            tx.Commit();
        }
        Volatile.Write(ref _purgedThroughZxid, through);
        Volatile.Write(ref _firstZxid, MinZxid() ?? 0);
        return through >= zxid;
    }

    private long? MinZxid() => ScalarZxid(_conn, "SELECT MIN(zxid) FROM txns");

    private long? MaxZxid() => ScalarZxid(_conn, "SELECT MAX(zxid) FROM txns");

    /// <summary>MIN/MAX over an empty table is NULL, which reads as no zxid.</summary>
    private static long? ScalarZxid(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar() as long?;
    }
}

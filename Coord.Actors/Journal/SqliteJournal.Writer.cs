using Coord.Actors.Txns;
using Microsoft.Data.Sqlite;

namespace Coord.Actors.Journal;

public sealed partial class SqliteJournal
{
    /// <summary>A unit of work for the writer thread; <see cref="Done"/> completes after its commit.</summary>
    private abstract class WriteRequest
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public abstract string Describe();
    }

    private sealed class AppendRequest(IReadOnlyList<SequencedTxn> batch) : WriteRequest
    {
        public IReadOnlyList<SequencedTxn> Batch { get; } = batch;
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
        public long Zxid { get; } = zxid;
        public override string Describe() => $"purging through 0x{Zxid:x}";
    }

    private void WriterLoop()
    {
        try
        {
            foreach (var request in _queue.GetConsumingEnumerable())
            {
                if (_failure is { } failure)
                {
                    request.Done.TrySetException(FailedEarlier(failure));
                    continue;
                }
                try
                {
                    Run(request);
                    request.Done.TrySetResult();
                }
                catch (Exception ex)
                {
                    // The transaction was rolled back or its commit failed: the file's state is unknown to us,
                    // so nothing after this may be reported durable.
                    _failure = ex;
                    LogWriteFailed(_log, ex, _path, request.Describe());
                    request.Done.TrySetException(new IOException($"journal {_path}: {request.Describe()} failed: {ex.Message}", ex));
                }
            }
        }
        finally
        {
            _insert.Dispose();
            _conn.Dispose();
            _writerDone.TrySetResult();
        }
    }

    private void Run(WriteRequest request)
    {
        switch (request)
        {
            case AppendRequest a: WriteBatch(a.Batch); break;
            case TruncateRequest t: Truncate(t.Zxid); break;
            case PurgeRequest p: Purge(p.Zxid); break;
            default: throw new InvalidOperationException($"unknown journal request {request.GetType().Name}");
        }
    }

    /// <summary>The whole batch in one transaction: after a crash either all of it is in the file or none.</summary>
    private void WriteBatch(IReadOnlyList<SequencedTxn> batch)
    {
        using (var tx = _conn.BeginTransaction())
        {
            _insert.Transaction = tx;
            var p = _insert.Parameters;
            foreach (var txn in batch)
            {
                _payload.Reset();
                TxnCodec.Write(_payload, txn);
                byte[] payload = _payload.ToArray();
                long zxid = txn.Header.Zxid;
                int type = (int)txn.Body.Type;
                p[0].Value = zxid;
                p[1].Value = JournalRecord.EpochOf(zxid);
                p[2].Value = type;
                p[3].Value = payload;
                p[4].Value = (long)JournalRecord.Checksum(zxid, type, payload);
                _insert.ExecuteNonQuery();
            }
            tx.Commit();
        }
        if (Volatile.Read(ref _firstZxid) == 0) Volatile.Write(ref _firstZxid, batch[0].Header.Zxid);
        Volatile.Write(ref _lastDurableZxid, batch[^1].Header.Zxid);
    }

    private void Truncate(long zxid)
    {
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

    /// <summary>Deletes and records the purge point in one transaction, so a reopen never sees a gap it cannot explain.</summary>
    private void Purge(long zxid)
    {
        if (zxid <= Volatile.Read(ref _purgedThroughZxid)) return;
        using (var tx = _conn.BeginTransaction())
        {
            using var cmd = _conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM txns WHERE zxid <= $z";
            cmd.Parameters.AddWithValue("$z", zxid);
            cmd.ExecuteNonQuery();
            SetMeta(_conn, tx, MetaPurgedThrough, zxid);
            tx.Commit();
        }
        Volatile.Write(ref _purgedThroughZxid, zxid);
        Volatile.Write(ref _firstZxid, MinZxid() ?? 0);
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

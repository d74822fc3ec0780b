using Coord.Actors.Journal;
using Microsoft.Extensions.Logging;
using static Coord.Actors.Specs.Journal.JournalTxns;

namespace Coord.Actors.Specs.Journal;

/// <summary>Opening is recovery: a torn tail is dropped, anything else damaged stops the server with a message that says what to do.</summary>
public sealed class SqliteJournalRecoverySpecs : IDisposable
{
    private readonly JournalStore _store = new();

    public void Dispose() => _store.Dispose();

    private async Task WriteAsync(params SequencedTxnBatch[] batches)
    {
        await using var j = SqliteJournal.Open(_store.DataDir);
        foreach (var b in batches) await j.AppendAsync(b.Txns);
    }

    internal sealed record SequencedTxnBatch(Coord.Actors.Txns.SequencedTxn[] Txns);
    private static SequencedTxnBatch Batch(long first, int count) => new(Range(first, count));

    [Fact]
    public async Task A_torn_tail_is_truncated_with_a_warning_naming_the_txns_and_earlier_txns_stay()
    {
        await WriteAsync(Batch(1, 5), Batch(6, 3));
        _store.Execute("UPDATE txns SET payload = substr(payload, 1, 10) WHERE zxid = 8");
        _store.Execute("UPDATE txns SET crc = crc + 1 WHERE zxid = 7");
        var log = new ListLogger();

        await using var j = SqliteJournal.Open(_store.DataDir, log);

        Assert.Equal(6, j.LastDurableZxid);
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], Zxids(j.ReadAfter(0)));
        var warning = Assert.Single(log.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal(1401, warning.Id.Id);
        Assert.Contains("2 txns", warning.Message, StringComparison.Ordinal);
        Assert.Contains("0x7, 0x8", warning.Message, StringComparison.Ordinal);
        Assert.Contains("checksum mismatch", warning.Message, StringComparison.Ordinal);
        await j.AppendAsync([At(7)]);
        Assert.Equal(7, j.LastDurableZxid);
    }

    [Fact]
    public async Task An_undecodable_tail_with_a_valid_checksum_is_truncated_too()
    {
        await WriteAsync(Batch(1, 3));
        byte[] garbage = [0, 1, 2, 3];
        _store.Execute("UPDATE txns SET payload = $p, crc = $c WHERE zxid = 3",
            ("$p", garbage), ("$c", (long)JournalRecord.Checksum(3, 5, garbage)));

        await using var j = SqliteJournal.Open(_store.DataDir);

        Assert.Equal([1L, 2L], Zxids(j.ReadAfter(0)));
    }

    [Fact]
    public async Task A_journal_whose_every_txn_is_torn_opens_empty()
    {
        await WriteAsync(Batch(1, 2));
        _store.Execute("UPDATE txns SET crc = 0");
        await using var j = SqliteJournal.Open(_store.DataDir);
        Assert.Equal(0, j.LastDurableZxid);
        Assert.Equal(0, j.FirstZxid);
    }

    [Fact]
    public async Task Damage_followed_by_intact_txns_refuses_to_open_and_changes_nothing()
    {
        await WriteAsync(Batch(1, 10));
        _store.Execute("UPDATE txns SET payload = zeroblob(length(payload)) WHERE zxid = 4");

        var ex = Assert.Throws<JournalCorruptException>(() => SqliteJournal.Open(_store.DataDir));

        Assert.Equal(4, ex.Zxid);
        Assert.Equal(_store.DbPath, ex.Path);
        Assert.Contains(_store.DbPath, ex.Message, StringComparison.Ordinal);
        Assert.Contains("txn 0x4 is damaged (checksum mismatch", ex.Message, StringComparison.Ordinal);
        Assert.Contains("through 0xa", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a torn tail", ex.Message, StringComparison.Ordinal);
        Assert.Contains("replica", ex.Message, StringComparison.Ordinal);
        Assert.Contains("coord journal dump", ex.Message, StringComparison.Ordinal);
        Assert.Equal(10, _store.Scalar("SELECT COUNT(*) FROM txns"));
    }

    [Fact]
    public async Task A_txn_moved_to_another_zxid_is_damage_even_with_its_own_checksum()
    {
        await WriteAsync(Batch(1, 3));
        _store.Execute("DELETE FROM txns WHERE zxid = 2");
        _store.Execute("UPDATE txns SET zxid = 2 WHERE zxid = 1");
        _store.Execute("INSERT INTO txns SELECT 1, epoch, type, payload, crc FROM txns WHERE zxid = 3");
        var ex = Assert.Throws<JournalCorruptException>(() => SqliteJournal.Open(_store.DataDir));
        Assert.Equal(2, ex.Zxid);
    }

    [Fact]
    public async Task A_missing_file_is_an_empty_journal_in_WAL_mode_with_full_sync()
    {
        string dir = Path.Combine(_store.DataDir, "fresh");
        await using (var j = SqliteJournal.Open(dir))
        {
            Assert.Equal(0, j.LastDurableZxid);
            Assert.True(File.Exists(Path.Combine(dir, SqliteJournal.FileName)));
        }
        using var conn = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, SqliteJournal.FileName)};Pooling=False");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", cmd.ExecuteScalar());
    }

    [Fact]
    public async Task A_file_that_is_not_SQLite_is_a_clear_error()
    {
        await File.WriteAllTextAsync(_store.DbPath, "this is not a database, it is a text file that happens to be long enough");
        var ex = Assert.Throws<JournalCorruptException>(() => SqliteJournal.Open(_store.DataDir));
        Assert.Contains("is not a readable SQLite database", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_store.DbPath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_SQLite_database_of_something_else_is_refused()
    {
        _store.Execute("CREATE TABLE customers(id INTEGER)");
        var ex = Assert.Throws<JournalCorruptException>(() => SqliteJournal.Open(_store.DataDir));
        Assert.Contains("not a Coord journal", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_format_version_is_refused()
    {
        await WriteAsync(Batch(1, 1));
        _store.Execute("UPDATE meta SET value = 99 WHERE key = 'format_version'");
        var ex = Assert.Throws<JournalCorruptException>(() => SqliteJournal.Open(_store.DataDir));
        Assert.Contains("format version 99; this build reads versions 1 and 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_that_fails_inside_its_transaction_leaves_nothing_of_itself_after_reopen()
    {
        await WriteAsync(Batch(1, 2));
        _store.FailInsertOf(5);
        await using (var j = SqliteJournal.Open(_store.DataDir))
        {
            await Assert.ThrowsAsync<IOException>(async () => await j.AppendAsync(Range(3, 4)));
            Assert.True(j.Failed);
        }
        _store.Execute("DROP TRIGGER fail_insert");
        await using var again = SqliteJournal.Open(_store.DataDir);
        Assert.Equal([1L, 2L], Zxids(again.ReadAfter(0)));
        await again.AppendAsync(Range(3, 4));
        Assert.Equal(6, again.LastDurableZxid);
    }

    [Fact]
    public async Task ReadAfter_refuses_a_row_damaged_after_open()
    {
        await using var j = SqliteJournal.Open(_store.DataDir);
        await j.AppendAsync(Range(1, 3));
        _store.Execute("UPDATE txns SET crc = 0 WHERE zxid = 2");
        var ex = Assert.Throws<JournalCorruptException>(() => j.ReadAfter(0).ToList());
        Assert.Equal(2, ex.Zxid);
    }

    [Fact]
    public async Task Each_row_stores_epoch_type_and_a_checksum_over_zxid_type_and_payload()
    {
        await WriteAsync(new SequencedTxnBatch([At(Epoch1 * 3 + 7, new Coord.Actors.Txns.DeleteTxn("/x"))]));
        Assert.Equal(3, _store.Scalar("SELECT epoch FROM txns"));
        Assert.Equal(2, _store.Scalar("SELECT type FROM txns"));
        var payload = Coord.Actors.Txns.TxnCodec.ToBytes(At(Epoch1 * 3 + 7, new Coord.Actors.Txns.DeleteTxn("/x")));
        Assert.Equal(JournalRecord.Checksum(Epoch1 * 3 + 7, 2, payload), (uint)_store.Scalar("SELECT crc FROM txns"));
    }
}

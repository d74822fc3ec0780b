using Coord.Actors.Journal;
using Microsoft.Extensions.Logging;
using static Coord.Actors.Specs.Journal.JournalTxns;

namespace Coord.Actors.Specs.Journal;

/// <summary>
/// <see cref="SqliteJournal.ResetToAsync"/> beyond the conformance suite: the deletion and the purge point are one
/// transaction (a failure inside it leaves the old journal, whole, for the next open), the stored purge point is
/// what a reopen goes by, and a reset is ordered with the requests around it, a long purge included.
/// </summary>
public sealed class SqliteJournalResetSpecs : IDisposable
{
    private readonly JournalStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task ResetTo_stores_the_purge_point_and_no_rows_and_logs_what_it_dropped()
    {
        var log = new ListLogger();
        await using (var j = SqliteJournal.Open(_store.DataDir, log))
        {
            await j.AppendAsync(Range(1, 7));
            await j.ResetToAsync(Epoch1 + 3);
        }
        Assert.Equal(0, _store.Scalar("SELECT COUNT(*) FROM txns"));
        Assert.Equal(Epoch1 + 3, _store.Scalar("SELECT value FROM meta WHERE key = 'purged_through'"));
        var reset = Assert.Single(log.Entries, e => e.Id.Id == 1405);
        Assert.Equal(LogLevel.Warning, reset.Level);
        Assert.Contains("dropped 7 txns", reset.Message, StringComparison.Ordinal);
        Assert.Contains($"0x{Epoch1 + 3:x}", reset.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CREATE TRIGGER fail_reset BEFORE DELETE ON txns BEGIN SELECT RAISE(ABORT, 'injected by spec'); END")]
    [InlineData("CREATE TRIGGER fail_reset BEFORE UPDATE ON meta WHEN OLD.key = 'purged_through' BEGIN SELECT RAISE(ABORT, 'injected by spec'); END")]
    public async Task A_reset_that_fails_inside_its_transaction_leaves_the_old_journal_whole_for_the_next_open(string failure)
    {
        await using (var j = SqliteJournal.Open(_store.DataDir))
        {
            await j.AppendAsync(Range(1, 10));
            await j.PurgeThroughAsync(2);
            // The second failure strikes after every row was deleted in the transaction: the rollback restores them.
            _store.Execute(failure);

            var e = await Assert.ThrowsAsync<IOException>(async () => await j.ResetToAsync(50));
            Assert.Contains("resetting to 0x32", e.Message, StringComparison.Ordinal);
            Assert.True(j.Failed);
            await Assert.ThrowsAsync<IOException>(async () => await j.AppendAsync([At(51)]));
        }
        _store.Execute("DROP TRIGGER fail_reset");
        await using var again = SqliteJournal.Open(_store.DataDir);
        Assert.Equal((10L, 3L), (again.LastDurableZxid, again.FirstZxid));
        Assert.Equal(Enumerable.Range(3, 8).Select(i => (long)i).ToArray(), Zxids(again.ReadAfter(2)));
        Assert.Throws<InvalidOperationException>(() => again.ReadAfter(1).ToList());
    }

    [Fact]
    public async Task A_reset_queued_behind_an_append_runs_after_it_and_an_append_queued_behind_the_reset_is_checked_against_it()
    {
        await using var j = SqliteJournal.Open(_store.DataDir);
        var first = j.AppendAsync(Range(1, 500)).AsTask();
        var reset = j.ResetToAsync(100).AsTask();
        Assert.Throws<InvalidOperationException>(() => j.AppendAsync([At(100)]));
        var after = j.AppendAsync([At(101)]).AsTask();

        await Task.WhenAll(first, reset, after).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((101L, 101L), (j.LastDurableZxid, j.FirstZxid));
        Assert.Equal([101L], Zxids(j.ReadAfter(100)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reset_or_truncation_that_overtakes_a_long_purge_keeps_the_purge_off_the_txns_appended_after_it(bool reset)
    {
        int rows = SqliteJournal.PurgeRowsPerSlice * 25;
        await using (var j = SqliteJournal.Open(_store.DataDir))
        {
            for (long first = 1; first <= rows; first += 1000) await j.AppendAsync(Range(first, 1000));
            long end = reset ? 40 : rows - 5;
            var purge = j.PurgeThroughAsync(rows).AsTask();
            if (reset) await j.ResetToAsync(end);
            else await j.TruncateAfterAsync(end);
            // The leader's txns, at zxids the purge's target still covers.
            await j.AppendAsync(Range(end + 1, 3));

            Assert.False(purge.IsCompleted && purge.IsFaulted);
            await purge.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal([end + 1, end + 2, end + 3], Zxids(j.ReadAfter(end)));
            Assert.Equal(end + 3, j.LastDurableZxid);
        }
        await using var again = SqliteJournal.Open(_store.DataDir);
        Assert.Equal(reset ? 40 + 3 : rows - 2, again.LastDurableZxid);
        Assert.Equal(3, again.ReadAfter(reset ? 40 : rows - 5).Count());
    }
}

using Coord.Actors.Journal;
using static Coord.Actors.Specs.Journal.JournalTxns;

namespace Coord.Actors.Specs.Journal;

public sealed class FaultInjectingJournalSpecs : IDisposable
{
    private readonly JournalStore _store = new();

    public void Dispose() => _store.Dispose();

    private SqliteJournal Reopen() => SqliteJournal.Open(_store.DataDir);

    [Fact]
    public async Task FailNextAppend_faults_with_the_given_error_writes_nothing_and_fails_every_later_append()
    {
        await using (var j = FaultInjectingJournal.OverSqlite(_store.DataDir))
        {
            await j.AppendAsync(Range(1, 2));
            var injected = new IOException("disk on fire");
            j.FailNextAppend(injected);
            Assert.Same(injected, await Assert.ThrowsAsync<IOException>(async () => await j.AppendAsync([At(3)])));
            await Assert.ThrowsAsync<IOException>(async () => await j.AppendAsync([At(4)]));
            await Assert.ThrowsAsync<IOException>(async () => await j.TruncateAfterAsync(1));
        }
        await using var again = Reopen();
        Assert.Equal(2, again.LastDurableZxid);
    }

    [Fact]
    public async Task FailNextFsync_faults_the_append_although_the_batch_reached_the_store()
    {
        await using (var j = FaultInjectingJournal.OverSqlite(_store.DataDir))
        {
            await j.AppendAsync(Range(1, 2));
            j.FailNextFsync();
            await Assert.ThrowsAsync<IOException>(async () => await j.AppendAsync([At(3)]));
            await Assert.ThrowsAsync<IOException>(async () => await j.AppendAsync([At(4)]));
        }
        // Written but never confirmed: after a restart it may be there (here it is), and it was never acknowledged.
        await using var again = Reopen();
        Assert.Equal(3, again.LastDurableZxid);
    }

    [Fact]
    public async Task DropUnsyncedOnCrash_loses_what_was_not_synced_and_keeps_what_was()
    {
        var j = FaultInjectingJournal.OverSqlite(_store.DataDir);
        await j.AppendAsync(Range(1, 2));
        j.DropUnsyncedOnCrash();
        var synced = j.AppendAsync(Range(3, 2)).AsTask();
        Assert.False(synced.IsCompleted);
        await j.SyncAsync();
        await synced.WaitAsync(TimeSpan.FromSeconds(10));
        var unsynced = j.AppendAsync(Range(5, 3)).AsTask();
        Assert.Equal(1, j.HeldAppends);

        await j.SimulateCrashAsync();

        await Assert.ThrowsAsync<IOException>(() => unsynced.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<IOException>(async () => await j.AppendAsync([At(8)]));
        await using var again = Reopen();
        Assert.Equal([1L, 2L, 3L, 4L], Zxids(again.ReadAfter(0)));
    }

    [Fact]
    public async Task TearLastWrite_leaves_a_torn_tail_that_the_next_open_drops()
    {
        var j = FaultInjectingJournal.OverSqlite(_store.DataDir);
        await j.AppendAsync(Range(1, 2));
        j.TearLastWrite();
        var inFlight = j.AppendAsync(Range(3, 3)).AsTask();

        await j.SimulateCrashAsync();

        await Assert.ThrowsAsync<IOException>(() => inFlight.WaitAsync(TimeSpan.FromSeconds(10)));
        var log = new ListLogger();
        await using var again = SqliteJournal.Open(_store.DataDir, log);
        // The batch was never acknowledged: its first txns may land, its torn last one must not.
        Assert.Equal([1L, 2L, 3L, 4L], Zxids(again.ReadAfter(0)));
        Assert.Contains(log.Entries, e => e.Id.Id == 1401 && e.Message.Contains("0x5", StringComparison.Ordinal));
    }

    [Fact]
    public void TearLastWrite_needs_a_store_that_can_be_torn()
    {
        var j = new FaultInjectingJournal(new InMemoryJournal());
        Assert.Throws<NotSupportedException>(j.TearLastWrite);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FailNextReset_faults_the_reset_leaves_the_old_or_the_reset_journal_and_fails_every_later_write(bool applied)
    {
        await using (var j = FaultInjectingJournal.OverSqlite(_store.DataDir))
        {
            await j.AppendAsync(Range(1, 5));
            var injected = new IOException("power lost");
            j.FailNextReset(injected, applied);
            Assert.Same(injected, await Assert.ThrowsAsync<IOException>(async () => await j.ResetToAsync(20)));
            await Assert.ThrowsAsync<IOException>(async () => await j.AppendAsync([At(21)]));
            await Assert.ThrowsAsync<IOException>(async () => await j.ResetToAsync(20));
        }
        await using var again = Reopen();
        if (applied) Assert.Equal((20L, 0L), (again.LastDurableZxid, again.FirstZxid));
        else Assert.Equal([1L, 2L, 3L, 4L, 5L], Zxids(again.ReadAfter(0)));
    }
}

using Coord.Actors.Journal;
using static Coord.Actors.Specs.Journal.JournalTxns;

namespace Coord.Actors.Specs.Journal;

/// <summary>
/// The writer thread: a long purge goes in slices so appends are not held behind it, and the callback form of
/// append reports durability (or the failure) exactly once.
/// </summary>
public sealed class SqliteJournalWriterSpecs : IDisposable
{
    private readonly JournalStore _store = new();

    public void Dispose() => _store.Dispose();

    private static async Task FillAsync(SqliteJournal j, long through)
    {
        for (long first = 1; first <= through; first += 1000)
            await j.AppendAsync(Range(first, (int)Math.Min(1000, through - first + 1)));
    }

    [Fact]
    public async Task A_purge_of_many_slices_drops_exactly_the_head_and_survives_a_reopen()
    {
        int rows = SqliteJournal.PurgeRowsPerSlice * 3 + 17;
        await using (var j = SqliteJournal.Open(_store.DataDir))
        {
            await FillAsync(j, rows);
            await j.PurgeThroughAsync(rows - 10);

            Assert.Equal(rows - 9, j.FirstZxid);
            Assert.Equal(rows, j.LastDurableZxid);
            Assert.Equal(Enumerable.Range(rows - 9, 10).Select(i => (long)i).ToArray(), Zxids(j.ReadAfter(rows - 10)));
            Assert.Throws<InvalidOperationException>(() => j.ReadAfter(rows - 11).ToList());
        }
        await using var reopened = SqliteJournal.Open(_store.DataDir);
        Assert.Equal(rows - 9, reopened.FirstZxid);
        Assert.Equal(rows, reopened.LastDurableZxid);
        await reopened.AppendAsync([At(rows + 1)]);
        Assert.Equal(11, reopened.ReadAfter(rows - 10).Count());
    }

    [Fact]
    public async Task An_append_queued_behind_a_long_purge_is_durable_before_the_purge_finishes()
    {
        // 25 slices: the append is queued microseconds after the purge and runs after the first slice.
        int rows = SqliteJournal.PurgeRowsPerSlice * 25;
        await using var j = SqliteJournal.Open(_store.DataDir);
        await FillAsync(j, rows);

        var purge = j.PurgeThroughAsync(rows).AsTask();
        await j.AppendAsync([At(rows + 1)]);

        Assert.False(purge.IsCompleted, "the append waited for the whole purge");
        Assert.True(j.FirstZxid > 1, "no slice ran before the append");
        await purge;
        Assert.Equal(rows + 1, j.FirstZxid);
        Assert.Equal([(long)rows + 1], Zxids(j.ReadAfter(rows)));
    }

    [Fact]
    public async Task Append_with_a_callback_reports_durability_once_from_the_writer_and_a_refusal_by_throwing()
    {
        await using var j = SqliteJournal.Open(_store.DataDir);
        var done = new TaskCompletionSource<(Exception? Error, long Durable, string? Thread)>(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;

        bool durableAlready = j.Append(Range(1, 3), error =>
        {
            Interlocked.Increment(ref calls);
            done.TrySetResult((error, j.LastDurableZxid, Thread.CurrentThread.Name));
        });

        Assert.False(durableAlready);
        var (err, durable, thread) = await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(err);
        Assert.Equal(3, durable);
        Assert.Equal("coord-journal-writer", thread);
        Assert.True(j.Append([], _ => Interlocked.Increment(ref calls)));
        Assert.Throws<InvalidOperationException>(() => j.Append([At(2)], _ => Interlocked.Increment(ref calls)));
        await j.AppendAsync([At(4)]);
        Assert.Equal(1, Volatile.Read(ref calls));
    }
}

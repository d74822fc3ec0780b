using Coord.Actors.Journal;
using Coord.Actors.Txns;
using static Coord.Actors.Specs.Journal.JournalTxns;

namespace Coord.Actors.Specs.Journal;

/// <summary>
/// What every <see cref="IJournal"/> must do. Each implementation derives a class that says how to open
/// it; durable ones derive <see cref="DurableJournalConformance"/>, which adds reopen and failure specs.
/// Not specified (and not tested): reading while an append is in flight; the contract leaves it to the
/// implementation, and the sequencer never does it.
/// </summary>
public abstract partial class JournalConformance : IAsyncLifetime
{
    private readonly List<IJournal> _opened = [];

    /// <summary>Opens the journal under test; for durable journals every call opens the same store.</summary>
    protected abstract IJournal OpenJournal();

    protected IJournal Open()
    {
        var j = OpenJournal();
        _opened.Add(j);
        return j;
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var j in _opened) await j.DisposeAsync();
    }

    [Fact]
    public void An_empty_journal_holds_nothing()
    {
        var j = Open();
        Assert.Equal(0, j.LastDurableZxid);
        Assert.Equal(0, j.FirstZxid);
        Assert.Empty(j.ReadAfter(0));
    }

    [Fact]
    public async Task Appends_in_order_and_reads_back_after_a_zxid()
    {
        var j = Open();
        await j.AppendAsync(Range(1, 2));
        await j.AppendAsync([At(3)]);
        Assert.Equal(3, j.LastDurableZxid);
        Assert.Equal(1, j.FirstZxid);
        Assert.Equal([2L, 3L], Zxids(j.ReadAfter(1)));
        Assert.Empty(j.ReadAfter(3));
    }

    [Fact]
    public async Task Reads_back_every_txn_type_exactly_as_appended()
    {
        var j = Open();
        var txns = EveryType().Select((body, i) => At(Epoch1 + 1 + i, body)).ToArray();
        await j.AppendAsync(txns);
        AssertSame(txns, j.ReadAfter(0));
        Assert.Equal(txns.Select(t => t.ToString()), j.ReadAfter(0).Select(t => t.ToString()));
    }

    [Fact]
    public async Task An_out_of_order_or_repeated_zxid_is_refused_and_nothing_of_that_batch_is_written()
    {
        var j = Open();
        await j.AppendAsync(Range(1, 2));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.AppendAsync([At(3), At(2)]));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.AppendAsync([At(2)]));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.AppendAsync([At(4), At(4)]));
        Assert.Equal(2, j.LastDurableZxid);
        await j.AppendAsync([At(3)]);
        Assert.Equal([1L, 2L, 3L], Zxids(j.ReadAfter(0)));
    }

    [Fact]
    public async Task Zxids_may_jump_across_epochs()
    {
        var j = Open();
        long[] zxids = [Epoch1 + 1, Epoch1 + 2, 2 * Epoch1 + 1, 3 * Epoch1 + 1];
        await j.AppendAsync(zxids.Select(z => At(z)).ToArray());
        Assert.Equal(zxids, Zxids(j.ReadAfter(0)));
        Assert.Equal(zxids[2..], Zxids(j.ReadAfter(Epoch1 + 2)));
    }

    [Fact]
    public async Task Many_small_batches_read_back_the_same_as_one_big_batch()
    {
        var txns = Range(1, 300);
        var j = Open();
        foreach (var chunk in txns.Chunk(7)) await j.AppendAsync(chunk);
        AssertSame(txns, j.ReadAfter(0));
        Assert.Equal(300, j.LastDurableZxid);
    }

    [Fact]
    public async Task TruncateAfter_drops_the_tail_and_appends_continue_above_the_cut()
    {
        var j = Open();
        await j.AppendAsync(Range(1, 10));
        await j.TruncateAfterAsync(6);
        Assert.Equal(6, j.LastDurableZxid);
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], Zxids(j.ReadAfter(0)));
        await j.AppendAsync([At(7, new DeleteTxn("/other"))]);
        Assert.Equal("Delete /other", j.ReadAfter(6).Single().Body.ToString());
        await j.TruncateAfterAsync(100);
        Assert.Equal(7, j.LastDurableZxid);
    }

    [Fact]
    public async Task TruncateAfter_a_zxid_between_two_txns_ends_the_journal_at_the_lower_one()
    {
        var j = Open();
        await j.AppendAsync([At(Epoch1 + 1), At(Epoch1 + 2), At(2 * Epoch1 + 1)]);
        await j.TruncateAfterAsync(Epoch1 + 5);
        Assert.Equal(Epoch1 + 2, j.LastDurableZxid);
        await j.TruncateAfterAsync(0);
        Assert.Equal(0, j.LastDurableZxid);
        Assert.Equal(0, j.FirstZxid);
        Assert.Empty(j.ReadAfter(0));
    }

    [Fact]
    public async Task After_TruncateAfter_between_two_txns_the_next_append_may_start_just_above_the_remaining_tail()
    {
        var j = Open();
        await j.AppendAsync([At(1), At(2), At(10)]);
        await j.TruncateAfterAsync(5);
        await j.AppendAsync([At(3)]);
        Assert.Equal([1L, 2L, 3L], Zxids(j.ReadAfter(0)));
    }

    [Fact]
    public async Task PurgeThrough_drops_the_head_keeps_LastDurableZxid_and_refuses_reads_into_the_purged_part()
    {
        var j = Open();
        await j.AppendAsync(Range(1, 10));
        await j.PurgeThroughAsync(4);
        Assert.Equal(5, j.FirstZxid);
        Assert.Equal(10, j.LastDurableZxid);
        Assert.Equal([5L, 6L, 7L, 8L, 9L, 10L], Zxids(j.ReadAfter(4)));
        Assert.Throws<InvalidOperationException>(() => j.ReadAfter(3).ToList());
        await j.PurgeThroughAsync(10);
        Assert.Equal(0, j.FirstZxid);
        Assert.Equal(10, j.LastDurableZxid);
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.AppendAsync([At(10)]));
        await j.AppendAsync([At(11)]);
        Assert.Equal([11L], Zxids(j.ReadAfter(10)));
    }

    [Fact]
    public async Task Purging_past_the_end_or_truncating_into_purged_txns_is_refused()
    {
        var j = Open();
        await j.AppendAsync(Range(1, 5));
        await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(async () => await j.PurgeThroughAsync(6));
        await j.PurgeThroughAsync(3);
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.TruncateAfterAsync(2));
        Assert.Equal([4L, 5L], Zxids(j.ReadAfter(3)));
    }
}

/// <summary>Adds what a durable journal must do: keep everything across dispose and reopen, and stop after a failed write.</summary>
public abstract partial class DurableJournalConformance : JournalConformance
{
    /// <summary>Makes the store under <paramref name="journal"/> fail while writing the txn at <paramref name="zxid"/> (a real storage error, not a wrapper fault).</summary>
    protected abstract void BreakStorageAt(IJournal journal, long zxid);

    [Fact]
    public async Task Everything_appended_survives_dispose_and_reopen()
    {
        var txns = EveryType().Select((body, i) => At(Epoch1 + 1 + i, body)).ToArray();
        await using (var j = OpenJournal())
        {
            await j.AppendAsync(txns[..5]);
            await j.AppendAsync(txns[5..]);
        }
        var again = Open();
        Assert.Equal(txns[^1].Header.Zxid, again.LastDurableZxid);
        Assert.Equal(txns[0].Header.Zxid, again.FirstZxid);
        AssertSame(txns, again.ReadAfter(0));
        await again.AppendAsync([At(txns[^1].Header.Zxid + 1)]);
    }

    [Fact]
    public async Task Truncation_and_purge_survive_reopen()
    {
        await using (var j = OpenJournal())
        {
            await j.AppendAsync(Range(1, 10));
            await j.TruncateAfterAsync(8);
            await j.PurgeThroughAsync(8);
        }
        var again = Open();
        Assert.Equal(8, again.LastDurableZxid);
        Assert.Equal(0, again.FirstZxid);
        Assert.Empty(again.ReadAfter(8));
        Assert.Throws<InvalidOperationException>(() => again.ReadAfter(7).ToList());
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await again.AppendAsync([At(8)]));
    }

    [Fact]
    public async Task Epochs_survive_dispose_and_reopen_and_still_never_go_backward()
    {
        await using (var j = OpenJournal())
        {
            await j.SetAcceptedEpochAsync(7);
            await j.SetCurrentEpochAsync(6);
        }
        var again = Open();
        Assert.Equal((7L, 6L), (again.AcceptedEpoch, again.CurrentEpoch));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await again.SetAcceptedEpochAsync(6));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await again.SetCurrentEpochAsync(8));
        await again.SetCurrentEpochAsync(7);
        Assert.Equal((7L, 7L), (again.AcceptedEpoch, again.CurrentEpoch));
    }

    [Fact]
    public async Task After_a_failed_append_the_task_faults_with_an_IOException_and_every_later_write_fails()
    {
        await using (var j = OpenJournal())
        {
            await j.AppendAsync(Range(1, 3));
            BreakStorageAt(j, 6);
            var failed = await Assert.ThrowsAnyAsync<IOException>(async () => await j.AppendAsync(Range(4, 5)));
            Assert.Contains("0x4", failed.Message + failed.InnerException?.Message, StringComparison.Ordinal);
            await Assert.ThrowsAnyAsync<IOException>(async () => await j.AppendAsync([At(9)]));
            await Assert.ThrowsAnyAsync<IOException>(async () => await j.AppendAsync([At(10)]));
            await Assert.ThrowsAnyAsync<IOException>(async () => await j.SetAcceptedEpochAsync(1));
            Assert.Equal(3, j.LastDurableZxid);
            Assert.Equal(0, j.AcceptedEpoch);
        }
        // The failed batch was one transaction: none of it is in the store, not even the txns before the failing one.
        var again = Open();
        Assert.Equal([1L, 2L, 3L], Zxids(again.ReadAfter(0)));
    }
}

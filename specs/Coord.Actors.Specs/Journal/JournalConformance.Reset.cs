using Coord.Actors.Journal;
using Coord.Actors.Txns;
using static Coord.Actors.Specs.Journal.JournalTxns;

namespace Coord.Actors.Specs.Journal;

/// <summary>
/// <see cref="IJournal.ResetToAsync"/> on every journal: every txn gone, the journal continuing at the reset
/// point as if purged through it, whether that point is above or below where the journal ended.
/// </summary>
public abstract partial class JournalConformance
{
    [Fact]
    public async Task ResetTo_above_the_end_drops_every_txn_and_appends_continue_above_the_reset_point()
    {
        var j = Open();
        await j.AppendAsync(Range(1, 10));

        await j.ResetToAsync(Epoch1 + 50);

        Assert.Equal((Epoch1 + 50, 0L), (j.LastDurableZxid, j.FirstZxid));
        Assert.Empty(j.ReadAfter(Epoch1 + 50));
        Assert.Throws<InvalidOperationException>(() => j.ReadAfter(Epoch1 + 49).ToList());
        Assert.Throws<InvalidOperationException>(() => j.ReadAfter(0).ToList());
        await j.AppendAsync([At(Epoch1 + 51), At(Epoch1 + 52)]);
        Assert.Equal([Epoch1 + 51, Epoch1 + 52], Zxids(j.ReadAfter(Epoch1 + 50)));
        Assert.Equal((Epoch1 + 52, Epoch1 + 51), (j.LastDurableZxid, j.FirstZxid));
    }

    [Fact]
    public async Task ResetTo_below_the_end_and_below_the_purge_point_lowers_LastDurableZxid_to_it()
    {
        var j = Open();
        await j.AppendAsync(Range(1, 10));
        await j.PurgeThroughAsync(6);

        await j.ResetToAsync(3);

        Assert.Equal((3L, 0L), (j.LastDurableZxid, j.FirstZxid));
        Assert.Empty(j.ReadAfter(3));
        // The zxids above the reset point are free again: the leader's history fills them with its own txns.
        var leaders = At(4, new DeleteTxn("/leaders"));
        await j.AppendAsync([leaders]);
        AssertSame([leaders], j.ReadAfter(3));
    }

    [Fact]
    public async Task After_ResetTo_appending_at_or_below_the_reset_point_is_refused_and_nothing_of_that_batch_is_written()
    {
        var j = Open();
        await j.AppendAsync(Range(1, 5));
        await j.ResetToAsync(20);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.AppendAsync([At(20)]));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.AppendAsync([At(6)]));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.AppendAsync([At(21), At(19)]));
        Assert.Equal((20L, 0L), (j.LastDurableZxid, j.FirstZxid));
        Assert.Empty(j.ReadAfter(20));
        await j.AppendAsync([At(21)]);
        Assert.Equal([21L], Zxids(j.ReadAfter(20)));
    }

    [Fact]
    public async Task ResetTo_a_negative_zxid_is_refused_and_changes_nothing()
    {
        var j = Open();
        await j.AppendAsync(Range(1, 3));

        await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(async () => await j.ResetToAsync(-1));

        Assert.Equal((3L, 1L), (j.LastDurableZxid, j.FirstZxid));
        Assert.Equal([1L, 2L, 3L], Zxids(j.ReadAfter(0)));
    }

    [Fact]
    public async Task After_ResetTo_truncating_below_the_reset_point_is_refused_as_purged_history()
    {
        var j = Open();
        await j.AppendAsync(Range(1, 5));
        await j.ResetToAsync(10);
        await j.AppendAsync(Range(11, 3));

        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.TruncateAfterAsync(9));
        await j.TruncateAfterAsync(10);
        Assert.Equal((10L, 0L), (j.LastDurableZxid, j.FirstZxid));
    }

    [Fact]
    public async Task ResetTo_leaves_the_epochs_as_they_were()
    {
        var j = Open();
        await j.SetAcceptedEpochAsync(3);
        await j.SetCurrentEpochAsync(2);
        await j.AppendAsync([At(2 * Epoch1 + 1), At(2 * Epoch1 + 2)]);

        await j.ResetToAsync(3 * Epoch1 + 7);

        Assert.Equal((3L, 2L), (j.AcceptedEpoch, j.CurrentEpoch));
    }

    [Fact]
    public async Task ResetTo_zero_on_an_empty_journal_is_a_fresh_journal()
    {
        var j = Open();
        await j.ResetToAsync(0);
        Assert.Equal((0L, 0L), (j.LastDurableZxid, j.FirstZxid));
        Assert.Empty(j.ReadAfter(0));
        await j.AppendAsync([At(1)]);
        Assert.Equal([1L], Zxids(j.ReadAfter(0)));
    }
}

public abstract partial class DurableJournalConformance
{
    [Fact]
    public async Task ResetTo_survives_reopen_and_so_do_the_appends_after_it()
    {
        long reset = 2 * Epoch1 + 5;
        await using (var j = OpenJournal())
        {
            await j.AppendAsync(Range(Epoch1 + 1, 10));
            await j.ResetToAsync(reset);
        }
        await using (var again = OpenJournal())
        {
            Assert.Equal((reset, 0L), (again.LastDurableZxid, again.FirstZxid));
            Assert.Empty(again.ReadAfter(reset));
            Assert.Throws<InvalidOperationException>(() => again.ReadAfter(reset - 1).ToList());
            await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await again.AppendAsync([At(reset)]));
            await again.AppendAsync([At(reset + 1), At(reset + 2)]);
        }
        var third = Open();
        Assert.Equal((reset + 2, reset + 1), (third.LastDurableZxid, third.FirstZxid));
        Assert.Equal([reset + 1, reset + 2], Zxids(third.ReadAfter(reset)));
    }

    [Fact]
    public async Task ResetTo_below_where_the_journal_ended_survives_reopen()
    {
        await using (var j = OpenJournal())
        {
            await j.AppendAsync(Range(1, 40));
            await j.ResetToAsync(12);
        }
        var again = Open();
        Assert.Equal((12L, 0L), (again.LastDurableZxid, again.FirstZxid));
        Assert.Empty(again.ReadAfter(12));
        await again.AppendAsync([At(13)]);
        Assert.Equal([13L], Zxids(again.ReadAfter(12)));
    }

    [Fact]
    public async Task After_a_failed_append_ResetTo_faults_with_an_IOException_and_changes_nothing()
    {
        await using (var j = OpenJournal())
        {
            await j.AppendAsync(Range(1, 3));
            BreakStorageAt(j, 4);
            await Assert.ThrowsAnyAsync<IOException>(async () => await j.AppendAsync([At(4)]));
            await Assert.ThrowsAnyAsync<IOException>(async () => await j.ResetToAsync(10));
        }
        var again = Open();
        Assert.Equal([1L, 2L, 3L], Zxids(again.ReadAfter(0)));
    }
}

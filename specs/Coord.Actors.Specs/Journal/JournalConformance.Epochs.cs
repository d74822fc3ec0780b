using Coord.Actors.Journal;
using static Coord.Actors.Specs.Journal.JournalTxns;

namespace Coord.Actors.Specs.Journal;

/// <summary>Zab's epochs: what <see cref="IJournal.SetAcceptedEpochAsync"/> and <see cref="IJournal.SetCurrentEpochAsync"/> promise.</summary>
public abstract partial class JournalConformance
{
    [Fact]
    public void A_fresh_journal_starts_at_epochs_0_and_0()
    {
        var j = Open();
        Assert.Equal((0L, 0L), (j.AcceptedEpoch, j.CurrentEpoch));
    }

    [Fact]
    public async Task An_epoch_is_accepted_then_adopted_and_setting_the_same_value_again_is_allowed()
    {
        var j = Open();
        await j.SetAcceptedEpochAsync(3);
        Assert.Equal((3L, 0L), (j.AcceptedEpoch, j.CurrentEpoch));
        await j.SetCurrentEpochAsync(3);
        Assert.Equal((3L, 3L), (j.AcceptedEpoch, j.CurrentEpoch));
        await j.SetAcceptedEpochAsync(3); // a re-sent NEWEPOCH
        await j.SetCurrentEpochAsync(3);
        await j.SetAcceptedEpochAsync(5);
        Assert.Equal((5L, 3L), (j.AcceptedEpoch, j.CurrentEpoch));
        await j.SetAcceptedEpochAsync(JournalOrder.EpochMax);
        Assert.Equal(JournalOrder.EpochMax, j.AcceptedEpoch);
    }

    [Fact]
    public async Task Epochs_never_go_backward_and_a_refusal_changes_nothing()
    {
        var j = Open();
        await j.SetAcceptedEpochAsync(5);
        await j.SetCurrentEpochAsync(4);
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.SetAcceptedEpochAsync(4));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.SetCurrentEpochAsync(3));
        Assert.Equal((5L, 4L), (j.AcceptedEpoch, j.CurrentEpoch));
        await j.SetCurrentEpochAsync(5);
        Assert.Equal((5L, 5L), (j.AcceptedEpoch, j.CurrentEpoch));
    }

    [Fact]
    public async Task CurrentEpoch_cannot_pass_AcceptedEpoch()
    {
        var j = Open();
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.SetCurrentEpochAsync(1));
        await j.SetAcceptedEpochAsync(2);
        await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await j.SetCurrentEpochAsync(3));
        Assert.Equal((2L, 0L), (j.AcceptedEpoch, j.CurrentEpoch));
    }

    [Fact]
    public async Task An_epoch_outside_what_a_zxid_can_carry_is_refused()
    {
        var j = Open();
        await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(async () => await j.SetAcceptedEpochAsync(-1));
        await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(async () => await j.SetAcceptedEpochAsync(JournalOrder.EpochMax + 1));
        await Assert.ThrowsAnyAsync<ArgumentOutOfRangeException>(async () => await j.SetCurrentEpochAsync(-1));
        Assert.Equal((0L, 0L), (j.AcceptedEpoch, j.CurrentEpoch));
    }

    [Fact]
    public async Task Epochs_and_txns_do_not_disturb_each_other()
    {
        var j = Open();
        await j.AppendAsync(Range(Epoch1 + 1, 5));
        await j.SetAcceptedEpochAsync(2);
        await j.SetCurrentEpochAsync(2);
        await j.AppendAsync([At(2 * Epoch1 + 1)]);
        await j.TruncateAfterAsync(Epoch1 + 3);
        await j.PurgeThroughAsync(Epoch1 + 1);
        Assert.Equal((2L, 2L), (j.AcceptedEpoch, j.CurrentEpoch));
        Assert.Equal([Epoch1 + 2, Epoch1 + 3], Zxids(j.ReadAfter(Epoch1 + 1)));
    }
}

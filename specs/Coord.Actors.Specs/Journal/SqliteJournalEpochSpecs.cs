using Coord.Actors.Journal;
using Microsoft.Extensions.Logging;
using static Coord.Actors.Specs.Journal.JournalTxns;

namespace Coord.Actors.Specs.Journal;

/// <summary>
/// Where the SQLite journal keeps Zab's epochs (its meta table, format version 2), that an epoch is in the
/// file when its task completes, and the in-place upgrade of a version 1 journal, written here with the
/// exact schema of the builds before epochs.
/// </summary>
public sealed class SqliteJournalEpochSpecs : IDisposable
{
    private readonly JournalStore _store = new();

    public void Dispose() => _store.Dispose();

    private long Meta(string key) => _store.Scalar($"SELECT value FROM meta WHERE key = '{key}'");

    [Fact]
    public async Task A_new_journal_is_format_2_with_both_epochs_0()
    {
        await using (SqliteJournal.Open(_store.DataDir)) { }
        Assert.Equal((2L, 0L, 0L), (Meta("format_version"), Meta("accepted_epoch"), Meta("current_epoch")));
    }

    [Fact]
    public async Task An_epoch_is_in_the_file_when_its_task_completes_not_only_at_close()
    {
        await using var j = SqliteJournal.Open(_store.DataDir);
        await j.SetAcceptedEpochAsync(4);
        Assert.Equal(4, Meta("accepted_epoch")); // read through another connection while the journal is open
        await j.SetCurrentEpochAsync(4);
        Assert.Equal(4, Meta("current_epoch"));
    }

    [Fact]
    public async Task A_version_1_journal_is_upgraded_in_place_with_the_epoch_of_its_last_txn()
    {
        var txns = new[] { At(2 * Epoch1 + 1), At(2 * Epoch1 + 2), At(3 * Epoch1 + 1) };
        _store.CreateVersion1(txns);
        var log = new ListLogger();

        await using (var j = SqliteJournal.Open(_store.DataDir, log))
        {
            Assert.Equal((3L, 3L), (j.AcceptedEpoch, j.CurrentEpoch));
            AssertSame(txns, j.ReadAfter(0));
            await j.AppendAsync([At(3 * Epoch1 + 2)]);
            await j.SetAcceptedEpochAsync(4);
        }
        Assert.Equal(2, Meta("format_version"));
        var upgraded = Assert.Single(log.Entries, e => e.Id.Id == 1404);
        Assert.Contains("upgraded from format 1 to 2", upgraded.Message, StringComparison.Ordinal);
        Assert.Contains("set to 3, the epoch of its last txn 0x300000001", upgraded.Message, StringComparison.Ordinal);

        // Upgraded once: a reopen keeps what was set since.
        var again = new ListLogger();
        await using var reopened = SqliteJournal.Open(_store.DataDir, again);
        Assert.Equal((4L, 3L), (reopened.AcceptedEpoch, reopened.CurrentEpoch));
        Assert.DoesNotContain(again.Entries, e => e.Id.Id == 1404);
        Assert.Equal(3 * Epoch1 + 2, reopened.LastDurableZxid);
    }

    [Fact]
    public async Task An_empty_version_1_journal_upgrades_to_epochs_0_and_0()
    {
        _store.CreateVersion1([]);
        await using var j = SqliteJournal.Open(_store.DataDir);
        Assert.Equal((0L, 0L), (j.AcceptedEpoch, j.CurrentEpoch));
        Assert.Equal(2, Meta("format_version"));
    }

    [Fact]
    public async Task A_version_1_journal_purged_to_empty_upgrades_to_the_epoch_of_its_purge_point()
    {
        _store.CreateVersion1([], purgedThrough: 5 * Epoch1 + 9);
        await using var j = SqliteJournal.Open(_store.DataDir);
        Assert.Equal((5L, 5L), (j.AcceptedEpoch, j.CurrentEpoch));
        Assert.Equal(5 * Epoch1 + 9, j.LastDurableZxid);
    }

    [Fact]
    public async Task A_torn_tail_does_not_lend_the_upgrade_its_epoch()
    {
        _store.CreateVersion1([At(2 * Epoch1 + 1), At(3 * Epoch1 + 1)]);
        SqliteJournalDamage.TearTxn(_store.DataDir, 3 * Epoch1 + 1); // a crash while writing the first txn of epoch 3
        await using var j = SqliteJournal.Open(_store.DataDir);
        Assert.Equal((2L, 2L), (j.AcceptedEpoch, j.CurrentEpoch));
        Assert.Equal(2 * Epoch1 + 1, j.LastDurableZxid);
    }

    [Fact]
    public void A_damaged_version_1_journal_is_refused_and_left_at_version_1()
    {
        _store.CreateVersion1([At(1), At(2), At(3)]);
        _store.Execute("UPDATE txns SET crc = crc + 1 WHERE zxid = 2");
        Assert.Throws<JournalCorruptException>(() => SqliteJournal.Open(_store.DataDir));
        Assert.Equal(1, Meta("format_version"));
        Assert.Equal(0, _store.Scalar("SELECT COUNT(*) FROM meta WHERE key LIKE '%epoch'"));
    }

    [Theory]
    [InlineData("UPDATE meta SET value = 9 WHERE key = 'current_epoch'", "currentEpoch 9 is above its acceptedEpoch 0")]
    [InlineData("DELETE FROM meta WHERE key = 'accepted_epoch'", "acceptedEpoch or currentEpoch is missing")]
    [InlineData("UPDATE meta SET value = -1 WHERE key = 'accepted_epoch'", "outside 0..2147483647")]
    public async Task Stored_epochs_that_Zab_never_writes_are_refused_and_the_file_is_left_alone(string damage, string expected)
    {
        await using (SqliteJournal.Open(_store.DataDir)) { }
        _store.Execute(damage);
        var before = File.ReadAllBytes(_store.DbPath);
        var ex = Assert.Throws<JournalCorruptException>(() => SqliteJournal.Open(_store.DataDir));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("Coord did not change it", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(_store.DbPath));
    }

    [Fact]
    public void Tools_read_a_version_1_journal_without_upgrading_it()
    {
        _store.CreateVersion1([At(1), At(2)]);
        Assert.Equal([1L, 2L], SqliteJournal.Inspect(_store.DataDir).Select(e => e.Zxid));
        Assert.Equal(1, Meta("format_version"));
    }
}

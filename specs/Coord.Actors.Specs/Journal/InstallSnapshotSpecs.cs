using Coord.Actors.Journal;
using Coord.Actors.Specs.Snapshots;
using Coord.Actors.Tree;
using Coord.Actors.Txns;

namespace Coord.Actors.Specs.Journal;

/// <summary>
/// <see cref="Recovery.InstallSnapshotAsync"/> interrupted at every step, on the durable journal: a crash leaves
/// the state before the install or the installed snapshot, never the leader's snapshot with the follower's own
/// txns above it replayed on top. The follower has 60 writes of its own history with snapshots after 30 and 50;
/// the leader's snapshot is at 40, so the follower holds a snapshot and txns above it that the leader's history
/// replaces. A crash is the journal failing (<see cref="FaultInjectingJournal.FailNextReset"/>), then a reopen of
/// the data dir and <see cref="Recovery.Recover"/>, as a restart does; a crash inside a file step is the files
/// left as that step leaves them.
/// </summary>
public sealed class InstallSnapshotSpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ListLogger _log = new();
    private readonly History _leader = new(seed: 7);
    private readonly History _follower = new(seed: 11);
    private readonly byte[] _bytes;
    /// <summary>The zxid of the leader's snapshot.</summary>
    private readonly long _leaderZxid;
    private long _olderZxid;
    private long _newerZxid;

    public InstallSnapshotSpecs()
    {
        _leader.Run(40);
        _leaderZxid = _leader.Zxid;
        _bytes = SnapshotFormat.ToBytes(_leader.Tree.Capture());
        _leader.Run(15);
    }

    public void Dispose() => _dir.Dispose();

    private string SnapshotDir => Path.Combine(_dir.Path, "snapshots");
    private string JournalDir => Path.Combine(_dir.Path, "journal");

    private SnapshotStore Store() => new(SnapshotDir, _log);

    /// <summary>The follower's data dir: its snapshots after 30 and 50 writes and its journal of all 60.</summary>
    private async Task<FaultInjectingJournal> FollowerAsync()
    {
        var store = Store();
        _follower.Run(30);
        _olderZxid = store.Write(_follower.Tree.Capture()).Zxid;
        _follower.Run(20);
        _newerZxid = store.Write(_follower.Tree.Capture()).Zxid;
        _follower.Run(10);
        Assert.True(_olderZxid < _leaderZxid && _leaderZxid < _newerZxid, "the follower's snapshots must straddle the leader's");
        var journal = FaultInjectingJournal.OverSqlite(JournalDir);
        await journal.AppendAsync(_follower.Txns);
        return journal;
    }

    /// <summary>A restart: the journal reopened from disk and recovery run on the data dir.</summary>
    private async Task<RecoveryResult> RestartAsync()
    {
        await using var journal = SqliteJournal.Open(JournalDir);
        return Recovery.Recover(Store(), journal, _log);
    }

    private static DataTree ReplayedTo(IEnumerable<SequencedTxn> txns, long zxid)
    {
        var tree = new DataTree();
        Assert.Null(Recovery.Replay(tree, txns.TakeWhile(t => t.Header.Zxid <= zxid)).Stop);
        return tree;
    }

    private string[] SnapshotDirFiles() => Directory.GetFileSystemEntries(SnapshotDir).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray();

    private static string Staged(long zxid) => $"snapshot-{zxid:x16}.install";

    private string[] FollowerSnapshotNames => [SnapshotStore.FileNameFor(_olderZxid), SnapshotStore.FileNameFor(_newerZxid)];

    [Fact]
    public async Task Installed_without_a_crash_the_store_holds_only_the_leaders_snapshot_and_a_restart_recovers_it()
    {
        await using (var journal = await FollowerAsync())
        {
            var installed = await Recovery.InstallSnapshotAsync(Store(), journal, _bytes, _log);
            SnapshotFormatSpecs.AssertSameState(ReplayedTo(_leader.Txns, _leaderZxid), installed.Tree);
        }

        Assert.Equal([SnapshotStore.FileNameFor(_leaderZxid)], SnapshotDirFiles());
        Assert.Contains(_log.Entries, e => e.Id.Id == 4103 && e.Message.Contains(SnapshotStore.FileNameFor(_leaderZxid), StringComparison.Ordinal));
        var r = await RestartAsync();
        SnapshotFormatSpecs.AssertSameState(ReplayedTo(_leader.Txns, _leaderZxid), r.Tree);
        Assert.Equal((_leaderZxid, _leaderZxid, 0), (r.SnapshotZxid, r.LastZxid, r.TxnsReplayed));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    public async Task A_member_with_no_history_or_far_behind_installs_and_recovers_the_leaders_tree(int followerWrites)
    {
        await using (var journal = FaultInjectingJournal.OverSqlite(JournalDir))
        {
            _follower.Run(followerWrites);
            await journal.AppendAsync(_follower.Txns);
            await Recovery.InstallSnapshotAsync(Store(), journal, _bytes, _log);
            await journal.AppendAsync(_leader.Txns.Where(t => t.Header.Zxid > _leaderZxid).ToList());
        }

        var r = await RestartAsync();
        SnapshotFormatSpecs.AssertSameState(_leader.Tree, r.Tree);
        Assert.Equal((_leaderZxid, _leader.Zxid), (r.SnapshotZxid, r.LastZxid));
    }

    public static TheoryData<string> BadSnapshots => ["flipped bit", "truncated", "empty", "another file"];

    [Theory]
    [MemberData(nameof(BadSnapshots))]
    public async Task A_corrupt_snapshot_is_refused_and_changes_nothing(string damage)
    {
        byte[] bad = damage switch
        {
            "flipped bit" => FlipBit(_bytes, _bytes.Length / 2),
            "truncated" => _bytes[..^7],
            "empty" => [],
            _ => "COORDSNP but not really"u8.ToArray(),
        };
        await using (var journal = await FollowerAsync())
        {
            await Assert.ThrowsAsync<SnapshotCorruptException>(async () => await Recovery.InstallSnapshotAsync(Store(), journal, bad, _log));
            Assert.Equal((_follower.Zxid, 1L), (journal.LastDurableZxid, journal.FirstZxid));
        }

        Assert.Equal(FollowerSnapshotNames, SnapshotDirFiles());
        SnapshotFormatSpecs.AssertSameState(_follower.Tree, (await RestartAsync()).Tree);
    }

    private static byte[] FlipBit(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x10;
        return copy;
    }

    [Fact]
    public async Task A_crash_before_the_journal_reset_commits_recovers_the_state_before_the_install()
    {
        await using (var journal = await FollowerAsync())
        {
            journal.FailNextReset(new IOException("power lost"), applied: false);
            await Assert.ThrowsAsync<IOException>(async () => await Recovery.InstallSnapshotAsync(Store(), journal, _bytes, _log));
        }
        Assert.Contains(Staged(_leaderZxid), SnapshotDirFiles());

        var r = await RestartAsync();

        SnapshotFormatSpecs.AssertSameState(_follower.Tree, r.Tree);
        Assert.Equal(FollowerSnapshotNames, SnapshotDirFiles());
        Assert.Contains(_log.Entries, e => e.Id.Id == 4105 && e.Message.Contains(Staged(_leaderZxid), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_crash_after_the_journal_reset_committed_recovers_the_installed_snapshot_not_the_followers_newer_one()
    {
        await using (var journal = await FollowerAsync())
        {
            journal.FailNextReset(new IOException("power lost"), applied: true);
            await Assert.ThrowsAsync<IOException>(async () => await Recovery.InstallSnapshotAsync(Store(), journal, _bytes, _log));
        }
        // The follower's snapshot at 50 is still there: loading it would serve the follower's divergent history.
        Assert.Equal([.. FollowerSnapshotNames.Append(Staged(_leaderZxid)).Order(StringComparer.Ordinal)], SnapshotDirFiles());

        var r = await RestartAsync();

        SnapshotFormatSpecs.AssertSameState(ReplayedTo(_leader.Txns, _leaderZxid), r.Tree);
        Assert.Equal([SnapshotStore.FileNameFor(_leaderZxid)], SnapshotDirFiles());
        Assert.Contains(_log.Entries, e => e.Id.Id == 4104);
    }

    [Fact]
    public async Task A_crash_while_finishing_the_install_is_finished_by_the_restart()
    {
        await using (var journal = await FollowerAsync())
        {
            // Steps (2) and (3) as the install does them, then (4) cut short: one old snapshot deleted, no rename yet.
            Store().StageInstall(_bytes, _leaderZxid);
            await journal.ResetToAsync(_leaderZxid);
            File.Delete(Path.Combine(SnapshotDir, SnapshotStore.FileNameFor(_olderZxid)));
        }

        var r = await RestartAsync();

        SnapshotFormatSpecs.AssertSameState(ReplayedTo(_leader.Txns, _leaderZxid), r.Tree);
        Assert.Equal([SnapshotStore.FileNameFor(_leaderZxid)], SnapshotDirFiles());
    }

    [Fact]
    public async Task A_crash_while_staging_leaves_a_temp_file_that_the_restart_deletes()
    {
        await using (var journal = await FollowerAsync()) { }
        File.WriteAllBytes(Path.Combine(SnapshotDir, Staged(_leaderZxid) + ".tmp"), _bytes[..100]);

        var r = await RestartAsync();

        SnapshotFormatSpecs.AssertSameState(_follower.Tree, r.Tree);
        Assert.Equal(FollowerSnapshotNames, SnapshotDirFiles());
    }

    [Fact]
    public async Task A_committed_install_whose_staged_snapshot_was_damaged_refuses_to_start_and_says_to_resync()
    {
        await using (var journal = await FollowerAsync())
        {
            journal.FailNextReset(new IOException("power lost"), applied: true);
            await Assert.ThrowsAsync<IOException>(async () => await Recovery.InstallSnapshotAsync(Store(), journal, _bytes, _log));
        }
        File.WriteAllBytes(Path.Combine(SnapshotDir, Staged(_leaderZxid)), FlipBit(_bytes, 40));

        var e = await Assert.ThrowsAsync<RecoveryException>(RestartAsync);

        Assert.Contains("the install of the leader's snapshot", e.Message, StringComparison.Ordinal);
        Assert.Contains("checksum mismatch", e.Message, StringComparison.Ordinal);
        Assert.Contains("wipe this server's data and let it sync from the ensemble", e.Message, StringComparison.Ordinal);
        // Refused without changing anything: the next attempt finds the same.
        Assert.Equal([.. FollowerSnapshotNames.Append(Staged(_leaderZxid)).Order(StringComparer.Ordinal)], SnapshotDirFiles());
    }

    [Fact]
    public async Task If_the_journal_already_ended_at_the_snapshot_with_no_txns_a_crash_before_the_reset_finishes_the_install()
    {
        // The documented corner: an empty journal ending exactly at the leader's zxid looks like a committed install.
        var store = Store();
        _follower.Run(60);
        var own = _follower.Txns.TakeWhile(t => t.Header.Zxid <= _leaderZxid).ToList();
        var ownTree = ReplayedTo(own, _leaderZxid);
        store.Write(ownTree.Capture());
        await using (var journal = FaultInjectingJournal.OverSqlite(JournalDir))
        {
            await journal.AppendAsync(own);
            await journal.PurgeThroughAsync(_leaderZxid);
            journal.FailNextReset(new IOException("power lost"), applied: false);
            await Assert.ThrowsAsync<IOException>(async () => await Recovery.InstallSnapshotAsync(store, journal, _bytes, _log));
        }

        var r = await RestartAsync();

        SnapshotFormatSpecs.AssertSameState(ReplayedTo(_leader.Txns, _leaderZxid), r.Tree);
        Assert.NotEqual(ownTree.Digest(), r.Tree.Digest());
    }
}

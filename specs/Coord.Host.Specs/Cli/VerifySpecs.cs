using Coord.Actors.Journal;

namespace Coord.Host.Specs.Cli;

public sealed class VerifySpecs : CliDataDirSpecs
{
    private string Replay(ulong digest, long snapshot, int txns, string lastZxid, int nodes, int sessions, int ephemerals, bool stopped = false) =>
        $"replay: snapshot 0x{snapshot:x} + {txns} txns -> last zxid {lastZxid}, {nodes} nodes, {sessions} sessions, " +
        $"{ephemerals} ephemerals, digest {digest:x16}" + (stopped ? " (stopped early)" : "");

    [Fact]
    public async Task An_intact_dir_is_OK_and_replays_to_the_live_trees_digest()
    {
        await BuildAsync();
        var before = DataDir.Fingerprint(Dir);
        var (exit, lines, error) = await RunAsync("verify", Dir);
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Equal(
        [
            $"snapshot snapshot-000000010000000a.snap zxid=0x10000000a nodes=8 sessions=2 size={new FileInfo(Snapshot10).Length}B checksum OK",
            $"snapshot snapshot-0000000100000006.snap zxid=0x100000006 nodes=7 sessions=2 size={new FileInfo(Snapshot6).Length}B checksum OK",
            "snapshots: 2 valid, 0 corrupt, replay starts from snapshot-000000010000000a.snap",
            "journal: 13 txns, first 0x100000001, last 0x10000000d, 0 damaged",
            Replay(DigestAt13, Z10, 3, "0x10000000d", NodesAt13, 1, 1),
            "OK",
        ], lines);
        Assert.Equal(before, DataDir.Fingerprint(Dir));
    }

    [Fact]
    public async Task A_corrupt_newest_snapshot_is_damage_but_the_older_one_and_the_journal_reach_the_same_digest()
    {
        await BuildAsync();
        FlipByte(Snapshot10);
        var before = DataDir.Fingerprint(Dir);
        var (exit, lines, _) = await RunAsync("verify", Dir);
        Assert.Equal(1, exit);
        Assert.Contains("snapshot snapshot-000000010000000a.snap zxid=0x10000000a", lines[0], StringComparison.Ordinal);
        Assert.Contains("checksum FAILED: corrupt snapshot: checksum mismatch", lines[0], StringComparison.Ordinal);
        Assert.Contains("snapshots: 1 valid, 1 corrupt, replay starts from snapshot-0000000100000006.snap", lines);
        Assert.Contains(Replay(DigestAt13, Z6, 7, "0x10000000d", NodesAt13, 1, 1), lines);
        Assert.StartsWith("DAMAGED: newest snapshot snapshot-000000010000000a.snap corrupt (corrupt snapshot: checksum mismatch", lines[^1], StringComparison.Ordinal);
        Assert.Contains("recovery falls back to snapshot-0000000100000006.snap; move it out of snapshots/", lines[^1], StringComparison.Ordinal);
        Assert.Equal(before, DataDir.Fingerprint(Dir));
    }

    [Fact]
    public async Task A_corrupt_older_snapshot_is_damage_too_since_the_fallback_is_gone()
    {
        await BuildAsync();
        FlipByte(Snapshot6);
        var (exit, lines, _) = await RunAsync("verify", Dir);
        Assert.Equal(1, exit);
        Assert.Contains(Replay(DigestAt13, Z10, 3, "0x10000000d", NodesAt13, 1, 1), lines);
        Assert.StartsWith("DAMAGED: older snapshot snapshot-0000000100000006.snap corrupt", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_torn_journal_tail_is_damage_named_by_zxid_and_replay_stops_before_it_without_truncating()
    {
        await BuildAsync();
        SqliteJournalDamage.TearTxn(Dir, Z13);
        var before = DataDir.Fingerprint(Dir);
        var (exit, lines, _) = await RunAsync("verify", Dir);
        Assert.Equal(1, exit);
        Assert.Contains("journal: 13 txns, first 0x100000001, last 0x10000000d, 1 damaged", lines);
        Assert.Contains(lines, l => l.StartsWith("journal: damaged 0x10000000d epoch=1 type=-11 CORRUPT: checksum mismatch", StringComparison.Ordinal));
        Assert.Contains(Replay(DigestAt12, Z10, 2, "0x10000000c", NodesAt13 + 1, 2, 2, stopped: true), lines);
        Assert.StartsWith("DAMAGED: torn journal tail: 1 txns from 0x10000000d fail their checksum", lines[^1], StringComparison.Ordinal);
        Assert.Contains("replay stops at 0x10000000c", lines[^1], StringComparison.Ordinal);
        // Read-only: the torn row is still there (the server, not verify, drops it).
        Assert.Equal(before, DataDir.Fingerprint(Dir));
        var (again, _, _) = await RunAsync("verify", Dir);
        Assert.Equal(1, again);
    }

    [Fact]
    public async Task Damage_before_intact_txns_is_not_a_torn_tail()
    {
        await BuildAsync();
        SqliteJournalDamage.TearTxn(Dir, DataDir.Epoch1 + 8);
        var (exit, lines, _) = await RunAsync("verify", Dir);
        Assert.Equal(1, exit);
        // The newest snapshot covers the damaged txn, so replay itself is whole...
        Assert.Contains(Replay(DigestAt13, Z10, 3, "0x10000000d", NodesAt13, 1, 1), lines);
        // ...but the server would refuse to open this journal.
        Assert.StartsWith("DAMAGED: journal txn 0x100000008 is damaged (checksum mismatch", lines[^1], StringComparison.Ordinal);
        Assert.Contains("not a torn tail", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gap_after_the_fallback_snapshot_is_damage()
    {
        await BuildAsync(purgeThrough: DataDir.Epoch1 + 8);
        FlipByte(Snapshot10);
        var (exit, lines, _) = await RunAsync("verify", Dir);
        Assert.Equal(1, exit);
        Assert.Contains("journal: 5 txns, first 0x100000009, last 0x10000000d, 0 damaged", lines);
        Assert.Contains(lines, l => l.StartsWith("replay: snapshot 0x100000006 + 0 txns -> last zxid 0x100000006, 7 nodes", StringComparison.Ordinal)
                                    && l.EndsWith("(stopped early)", StringComparison.Ordinal));
        Assert.Contains("gap: after 0x100000006 the journal's next txn is 0x100000009", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_txn_that_does_not_apply_is_damage_and_replay_stops_before_it_as_recovery_would()
    {
        await BuildAsync();
        await using (var journal = SqliteJournal.Open(Dir))
            await journal.AppendAsync([new(new(0x42, 99, Z13 + 1, DataDir.TimeMs), new Coord.Actors.Txns.DeleteTxn("/no/such/node"))]);
        var (exit, lines, _) = await RunAsync("verify", Dir);
        Assert.Equal(1, exit);
        Assert.Contains(Replay(DigestAt13, Z10, 3, "0x10000000d", NodesAt13, 1, 1, stopped: true), lines);
        Assert.StartsWith("DAMAGED: journal txn 0x10000000e (Delete) does not apply to the state at 0x10000000d", lines[^1], StringComparison.Ordinal);
        Assert.Contains("the snapshot and journal disagree", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_snapshots_the_whole_journal_replays_to_the_same_digest()
    {
        await BuildAsync();
        Directory.Delete(SnapshotsDir, recursive: true);
        var (exit, lines, _) = await RunAsync("verify", Dir);
        Assert.Equal(0, exit);
        Assert.Contains("snapshots: 0 valid, 0 corrupt", lines);
        Assert.Contains(Replay(DigestAt13, 0, 13, "0x10000000d", NodesAt13, 1, 1), lines);
        Assert.Equal("OK", lines[^1]);
        Assert.False(Directory.Exists(SnapshotsDir));
    }

    [Fact]
    public async Task Txns_still_only_in_the_WAL_of_a_server_that_did_not_close_its_journal_are_read()
    {
        await using var d = new DataDir(Dir);
        await d.CreateSessionAsync(0x42);
        await d.CreateAsync("/live", "x");
        await d.CreateAsync("/live/eph", "y", owner: 0x42);
        Assert.True(File.Exists(SqliteJournal.PathIn(Dir) + "-wal"));
        var (exit, lines, _) = await RunAsync("verify", Dir);
        Assert.Equal(0, exit);
        Assert.Contains("journal: 3 txns, first 0x100000001, last 0x100000003, 0 damaged", lines);
        Assert.Contains(Replay(d.Tree.Digest(), 0, 3, "0x100000003", d.Tree.NodeCount, 1, 1), lines);
    }

    [Fact]
    public async Task A_dir_without_Coord_data_exits_2_and_creates_nothing()
    {
        var (exit, lines, error) = await RunAsync("verify", Dir);
        Assert.Equal(2, exit);
        Assert.Empty(lines);
        Assert.Contains("no Coord data at", error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Dir));

        var (missing, _, _) = await RunAsync("verify", Path.Combine(Dir, "nothing-here"));
        Assert.Equal(2, missing);
    }
}

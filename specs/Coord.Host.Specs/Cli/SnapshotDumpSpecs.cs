namespace Coord.Host.Specs.Cli;

public sealed class SnapshotDumpSpecs : CliDataDirSpecs
{
    [Fact]
    public async Task Prints_a_header_per_snapshot_oldest_first_and_a_summary()
    {
        await BuildAsync();
        var (exit, lines, error) = await RunAsync("snapshot", "dump", Dir);
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Equal(
        [
            $"snapshot-0000000100000006.snap zxid=0x100000006 nodes=7 sessions=2 size={new FileInfo(Snapshot6).Length}B checksum OK",
            $"snapshot-000000010000000a.snap zxid=0x10000000a nodes=8 sessions=2 size={new FileInfo(Snapshot10).Length}B checksum OK",
            "2 snapshots, 2 intact, 0 corrupt",
        ], lines);
    }

    [Fact]
    public async Task With_nodes_prints_every_node_parents_first_then_the_sessions()
    {
        await BuildAsync();
        var (exit, lines, _) = await RunAsync("snapshot", "dump", Snapshot6, "--nodes");
        Assert.Equal(0, exit);
        Assert.Equal(
        [
            $"snapshot-0000000100000006.snap zxid=0x100000006 nodes=7 sessions=2 size={new FileInfo(Snapshot6).Length}B checksum OK",
            "/  czxid=0x0 mzxid=0x0 pzxid=0x100000003 v=0 cv=0 av=0 owner=0x0 len=0 acl=[world:anyone:31]",
            "/app  czxid=0x100000003 mzxid=0x100000006 pzxid=0x100000005 v=1 cv=2 av=0 owner=0x0 len=2 acl=[world:anyone:31]",
            "/app/a  czxid=0x100000004 mzxid=0x100000004 pzxid=0x100000004 v=0 cv=0 av=0 owner=0x0 len=1 acl=[world:anyone:31]",
            "/app/eph  czxid=0x100000005 mzxid=0x100000005 pzxid=0x100000005 v=0 cv=0 av=0 owner=0x42 len=1 acl=[world:anyone:31]",
            "/zookeeper  czxid=0x0 mzxid=0x0 pzxid=0x0 v=0 cv=-2 av=0 owner=0x0 len=0 acl=[world:anyone:31]",
            "/zookeeper/config  czxid=0x0 mzxid=0x0 pzxid=0x0 v=0 cv=0 av=0 owner=0x0 len=0 acl=[world:anyone:1]",
            "/zookeeper/quota  czxid=0x0 mzxid=0x0 pzxid=0x0 v=0 cv=0 av=0 owner=0x0 len=0 acl=[world:anyone:31]",
            "session 0x42 timeout=30000 ms",
            "session 0x43 timeout=30000 ms",
            "1 snapshots, 1 intact, 0 corrupt",
        ], lines);
    }

    [Fact]
    public async Task Takes_the_snapshots_folder_as_well_as_the_data_dir()
    {
        await BuildAsync();
        var (exit, lines, _) = await RunAsync("snapshot", "dump", SnapshotsDir);
        Assert.Equal(0, exit);
        Assert.Equal("2 snapshots, 2 intact, 0 corrupt", lines[^1]);
    }

    [Fact]
    public async Task A_corrupt_snapshot_is_shown_with_the_reason_and_exits_1()
    {
        await BuildAsync();
        FlipByte(Snapshot10);
        var (exit, lines, _) = await RunAsync("snapshot", "dump", Dir, "--nodes");
        Assert.Equal(1, exit);
        Assert.StartsWith("snapshot-0000000100000006.snap zxid=0x100000006 nodes=7 sessions=2 ", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("checksum OK", lines[0], StringComparison.Ordinal);
        var bad = Assert.Single(lines, l => l.StartsWith("snapshot-000000010000000a.snap", StringComparison.Ordinal));
        Assert.Contains("zxid=0x10000000a size=", bad, StringComparison.Ordinal);
        Assert.Contains("checksum FAILED: corrupt snapshot: checksum mismatch: stored 0x", bad, StringComparison.Ordinal);
        // The corrupt one's nodes are not printed: its header is the last line before the summary.
        Assert.Equal(bad, lines[^2]);
        Assert.Equal("2 snapshots, 1 intact, 1 corrupt", lines[^1]);
    }

    [Fact]
    public async Task A_file_that_is_not_a_snapshot_fails_with_the_reason()
    {
        string file = Path.Combine(Dir, "notes.snap");
        await File.WriteAllTextAsync(file, "this is not a snapshot, only some text long enough for a header");
        var (exit, lines, _) = await RunAsync("snapshot", "dump", file);
        Assert.Equal(1, exit);
        Assert.Contains("notes.snap zxid=0x0 size=", lines[0], StringComparison.Ordinal);
        Assert.Contains("checksum FAILED: corrupt snapshot: not a Coord snapshot", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_snapshot_there_exits_2_and_creates_nothing()
    {
        var (exit, lines, error) = await RunAsync("snapshot", "dump", Dir);
        Assert.Equal(2, exit);
        Assert.Empty(lines);
        Assert.Contains("no snapshot files", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(SnapshotsDir));

        var (missing, _, _) = await RunAsync("snapshot", "dump", Path.Combine(Dir, "nothing-here"));
        Assert.Equal(2, missing);
    }
}

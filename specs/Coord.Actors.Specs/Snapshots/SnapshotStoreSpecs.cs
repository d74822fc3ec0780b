using Coord.Actors.Journal;

namespace Coord.Actors.Specs.Snapshots;

public sealed class SnapshotStoreSpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ListLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private SnapshotStore Store() => new(_dir.Path, _log);

    /// <summary>Snapshots of one history at the given op counts.</summary>
    private static List<(long Zxid, ulong Digest)> WriteHistory(SnapshotStore store, params int[] opsBetween)
    {
        var h = new History(seed: 3);
        var taken = new List<(long, ulong)>();
        foreach (int ops in opsBetween)
        {
            h.Run(ops);
            store.Write(h.Tree.Capture());
            taken.Add((h.Tree.LastAppliedZxid, h.Tree.Digest()));
        }
        return taken;
    }

    [Fact]
    public void Write_names_the_file_by_zxid_and_leaves_no_temp_file()
    {
        var store = Store();
        var h = new History(seed: 1);
        h.Run(40);
        var file = store.Write(h.Tree.Capture());
        Assert.Equal($"snapshot-{h.Tree.LastAppliedZxid:x16}.snap", Path.GetFileName(file.Path));
        Assert.Equal(h.Tree.LastAppliedZxid, file.Zxid);
        Assert.Equal([Path.GetFileName(file.Path)], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void List_is_newest_first_and_ignores_other_files()
    {
        var store = Store();
        var taken = WriteHistory(store, 10, 10, 10);
        File.WriteAllText(Path.Combine(_dir.Path, "snapshot-zz.snap"), "x");
        File.WriteAllText(Path.Combine(_dir.Path, SnapshotStore.FileNameFor(999) + ".tmp"), "x");
        File.WriteAllText(Path.Combine(_dir.Path, "notes.txt"), "x");
        Assert.Equal(taken.Select(t => t.Zxid).Reverse(), store.List().Select(f => f.Zxid));
    }

    [Fact]
    public void Loads_the_newest_valid_snapshot()
    {
        var store = Store();
        var taken = WriteHistory(store, 20, 20);
        var loaded = store.LoadNewestValid()!;
        Assert.Equal(taken[^1].Zxid, loaded.File.Zxid);
        Assert.Equal(taken[^1].Digest, loaded.Tree.Digest());
        Assert.Empty(_log.Warnings);
    }

    [Fact]
    public void Corrupt_and_truncated_newer_snapshots_are_skipped_with_a_warning_each()
    {
        var store = Store();
        var taken = WriteHistory(store, 20, 20, 20);
        var files = store.List();
        var bytes = File.ReadAllBytes(files[0].Path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(files[0].Path, bytes);
        File.WriteAllBytes(files[1].Path, File.ReadAllBytes(files[1].Path)[..100]);

        var skipped = new List<(SnapshotFile File, string Reason)>();
        var loaded = store.LoadNewestValid(skipped)!;
        Assert.Equal(taken[0].Zxid, loaded.File.Zxid);
        Assert.Equal(taken[0].Digest, loaded.Tree.Digest());
        Assert.Equal([files[0], files[1]], skipped.Select(s => s.File));
        Assert.Contains("checksum mismatch", skipped[0].Reason, StringComparison.Ordinal);
        Assert.Equal(2, _log.Warnings.Count);
        Assert.Contains(Path.GetFileName(files[1].Path), _log.Warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_snapshot_renamed_to_another_zxid_is_not_trusted()
    {
        var store = Store();
        var taken = WriteHistory(store, 20);
        File.Move(store.List()[0].Path, Path.Combine(_dir.Path, SnapshotStore.FileNameFor(taken[0].Zxid + 5)));
        Assert.Null(store.LoadNewestValid());
        Assert.Contains("its name", Assert.Single(_log.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void No_snapshot_loads_as_null()
    {
        Assert.Null(Store().LoadNewestValid());
        File.WriteAllBytes(Path.Combine(_dir.Path, SnapshotStore.FileNameFor(4)), []);
        Assert.Null(Store().LoadNewestValid());
    }

    [Fact]
    public void Purge_keeps_the_newest_k_and_stale_temp_files_go()
    {
        var store = Store();
        var taken = WriteHistory(store, 5, 5, 5, 5);
        string staleTemp = Path.Combine(_dir.Path, SnapshotStore.FileNameFor(1) + ".tmp");
        File.WriteAllText(staleTemp, "half");
        var gone = store.Purge(keep: 2);
        Assert.Equal(taken.Take(2).Select(t => t.Zxid).Reverse(), gone.Select(f => f.Zxid));
        Assert.Equal(taken.Skip(2).Select(t => t.Zxid).Reverse(), store.List().Select(f => f.Zxid));
        Assert.False(File.Exists(staleTemp));
        Assert.Empty(store.Purge(keep: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Purge(0));
    }

    [Fact]
    public void Loading_at_or_below_a_zxid_ignores_newer_snapshots_without_calling_them_skipped()
    {
        var store = Store();
        var taken = WriteHistory(store, 10, 10, 10);
        var skipped = new List<(SnapshotFile File, string Reason)>();
        var loaded = store.LoadNewestValid(skipped, atOrBelowZxid: taken[1].Zxid + 1)!;
        Assert.Equal(taken[1].Zxid, loaded.File.Zxid);
        Assert.Equal(taken[1].Digest, loaded.Tree.Digest());
        Assert.Empty(skipped);
        Assert.Null(store.LoadNewestValid(atOrBelowZxid: taken[0].Zxid - 1));
    }

    [Fact]
    public void DeleteNewerThan_removes_newer_snapshots_and_their_temp_files_and_keeps_the_rest()
    {
        var store = Store();
        var taken = WriteHistory(store, 10, 10, 10);
        string staleTemp = Path.Combine(_dir.Path, SnapshotStore.FileNameFor(taken[2].Zxid + 5)[..^".snap".Length] + ".snap.tmp");
        string olderTemp = Path.Combine(_dir.Path, SnapshotStore.FileNameFor(taken[0].Zxid - 1)[..^".snap".Length] + ".snap.tmp");
        File.WriteAllText(staleTemp, "x");
        File.WriteAllText(olderTemp, "x");

        var gone = store.DeleteNewerThan(taken[0].Zxid);

        Assert.Equal([taken[2].Zxid, taken[1].Zxid], gone.Select(f => f.Zxid));
        Assert.Equal([taken[0].Zxid], store.List().Select(f => f.Zxid));
        Assert.False(File.Exists(staleTemp));
        Assert.True(File.Exists(olderTemp));
        Assert.Equal(2, _log.Entries.Count(e => e.EventId == 4004));
        Assert.Empty(store.DeleteNewerThan(taken[0].Zxid));
    }
}

using Coord.Actors.Ensemble;
using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Coord.Specs.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Actors.Specs.Snapshots;

/// <summary>
/// SNAP as it streams: the learner parses the leader's pieces as they arrive (<see cref="SnapshotFormat.ReadStreamed"/>)
/// and stages them (<see cref="SnapshotReceiver"/>); the leader's serializer announces its exact size up front. Pieces
/// may be cut anywhere; a damaged, short or long stream is refused before anything is installed.
/// </summary>
public sealed class StreamedSnapshotSpecs : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly History _history = new(seed: 5);
    private readonly byte[] _bytes;

    public StreamedSnapshotSpecs()
    {
        _history.Run(60);
        _bytes = SnapshotFormat.ToBytes(_history.Tree.Capture());
    }

    public void Dispose() => _dir.Dispose();

    private static IEnumerable<ReadOnlyMemory<byte>> Cut(byte[] bytes, Func<int> nextSize)
    {
        for (int at = 0; at < bytes.Length;)
        {
            int n = Math.Min(nextSize(), bytes.Length - at);
            yield return bytes.AsMemory(at, n);
            at += n;
        }
    }

    [Fact]
    public void Pieces_cut_anywhere_even_one_byte_each_parse_to_the_same_tree_as_the_whole_bytes()
    {
        ulong expected = SnapshotFormat.ReadTree(_bytes).Digest();
        var rng = new Random(3);
        Func<int>[] cuts = [() => 1, () => 2, () => 7, () => 4096, () => 1 + rng.Next(300), () => _bytes.Length];
        foreach (var cut in cuts)
        {
            var tree = SnapshotFormat.ReadTreeStreamed(Cut(_bytes, cut));
            Assert.Equal(expected, tree.Digest());
            SnapshotFormatSpecs.AssertSameState(_history.Tree, tree);
        }
        // Empty pieces between the others change nothing.
        var withEmpty = Cut(_bytes, () => 100).SelectMany(p => new[] { ReadOnlyMemory<byte>.Empty, p });
        Assert.Equal(expected, SnapshotFormat.ReadTreeStreamed(withEmpty).Digest());
    }

    [Fact]
    public void The_size_the_serializer_announces_is_the_size_it_writes()
    {
        long announced = -1;
        using var ms = new MemoryStream();
        SnapshotFormat.Write(_history.Tree.Capture(), ms, size => announced = size);
        Assert.Equal(ms.Length, announced);
        Assert.Equal(_bytes, ms.ToArray());
    }

    [Fact]
    public void A_stream_cut_short_anywhere_is_refused_as_corrupt()
    {
        for (int length = 0; length < _bytes.Length; length += Math.Max(1, length / 8))
        {
            var shorter = _bytes[..length];
            var e = Assert.Throws<SnapshotCorruptException>(() => SnapshotFormat.ReadTreeStreamed(Cut(shorter, () => 13)));
            Assert.Contains("corrupt snapshot", e.Message);
        }
        Assert.Contains("truncated", Assert.Throws<SnapshotCorruptException>(() => SnapshotFormat.ReadStreamed(Cut(_bytes[..^1], () => 64))).Message);
        Assert.Contains("after the trailer", Assert.Throws<SnapshotCorruptException>(() => SnapshotFormat.ReadStreamed(Cut([.. _bytes, 0], () => 64))).Message);
    }

    [Fact]
    public void Any_damaged_byte_is_refused_as_corrupt_and_nothing_else()
    {
        // Every position of the header and the first records, then a stride through the rest: whatever a flip hits (a
        // length, a count, a value), the reader says corrupt, never crashes, never allocates what was not sent.
        for (int at = 0; at < _bytes.Length; at += at < 400 ? 1 : 37)
        {
            var bad = (byte[])_bytes.Clone();
            bad[at] ^= 0x80;
            Assert.Throws<SnapshotCorruptException>(() => SnapshotFormat.ReadTreeStreamed(Cut(bad, () => 50)));
        }
    }

    [Fact]
    public void A_format_version_1_stream_is_refused_with_the_reason()
    {
        var v1 = (byte[])_bytes.Clone();
        v1[11] = 1;
        Assert.Contains("streamed snapshot is format 2", Assert.Throws<SnapshotCorruptException>(() => SnapshotFormat.ReadStreamed(Cut(v1, () => 64))).Message);
    }

    private SnapshotStore Store() => new(Path.Combine(_dir.Path, "snapshots"), NullLogger.Instance);

    private string[] Files() => Directory.GetFiles(Path.Combine(_dir.Path, "snapshots")).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task A_receiver_stages_and_parses_the_pieces_and_the_install_gives_the_leaders_tree()
    {
        var store = Store();
        var journal = new InMemoryJournal();
        var pieces = Cut(_bytes, () => 333).ToList();
        var receiver = new SnapshotReceiver(_history.Zxid, pieces.Count, store, NullLogger.Instance);
        receiver.Add(pieces[0]); // before the threads start: held for them
        receiver.Start();
        foreach (var p in pieces.Skip(1)) receiver.Add(p.ToArray());
        var received = await receiver.FinishAsync();
        Assert.Equal([$"snapshot-{_history.Zxid:x16}.install"], Files());
        Assert.Equal(_bytes, await File.ReadAllBytesAsync(received.Staged.Path));

        var installed = await Recovery.InstallStagedAsync(store, journal, received.Staged, received.Tree, NullLogger.Instance);
        Assert.Equal([SnapshotStore.FileNameFor(_history.Zxid)], Files());
        Assert.Equal(_history.Zxid, journal.LastDurableZxid);
        SnapshotFormatSpecs.AssertSameState(_history.Tree, installed.Tree);
    }

    [Fact]
    public async Task A_corrupt_piece_fails_the_receiver_before_anything_is_staged_or_installed()
    {
        var store = Store();
        var older = store.Write(new History(seed: 9).Tree.Capture());
        var pieces = Cut(_bytes, () => 100).Select(p => p.ToArray()).ToList();
        pieces[pieces.Count / 2][17] ^= 0x01; // a bit flipped in transit: only the checksum can tell
        var receiver = new SnapshotReceiver(_history.Zxid, pieces.Count, store, NullLogger.Instance);
        receiver.Start();
        foreach (var p in pieces) receiver.Add(p);
        await Assert.ThrowsAsync<SnapshotCorruptException>(receiver.FinishAsync);
        // Neither a staged install nor its temp file: the member's own snapshot stands alone.
        Assert.Equal([Path.GetFileName(older.Path)], Files());
    }

    [Fact]
    public async Task A_snapshot_the_leader_sent_as_another_zxid_is_refused()
    {
        var store = Store();
        var receiver = new SnapshotReceiver(_history.Zxid + 1, 1, store, NullLogger.Instance);
        receiver.Add(_bytes);
        Assert.Contains("holds 0x", (await Assert.ThrowsAsync<SnapshotCorruptException>(receiver.FinishAsync)).Message);
        Assert.Empty(Files());
    }

    [Fact]
    public async Task An_abandoned_receiver_deletes_its_temp_file_and_refuses_to_finish()
    {
        var store = Store();
        var pieces = Cut(_bytes, () => 100).ToList();
        var receiver = new SnapshotReceiver(_history.Zxid, pieces.Count, store, NullLogger.Instance);
        receiver.Start();
        foreach (var p in pieces.Take(3)) receiver.Add(p);
        receiver.Abandon();
        var done = new TaskCompletionSource();
        // The staging thread deletes the temp file as it stops; wait for that event (the directory emptied), with a deadline.
        using var watcher = new FileSystemWatcher(Path.Combine(_dir.Path, "snapshots"));
        watcher.Deleted += (_, _) => { if (Files().Length == 0) done.TrySetResult(); };
        watcher.EnableRaisingEvents = true;
        if (Files().Length > 0) await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(Files());
        await Assert.ThrowsAsync<InvalidOperationException>(receiver.FinishAsync); // 3 of its pieces: never a partial install
    }
}

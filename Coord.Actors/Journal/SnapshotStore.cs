// Snapshots and recovery — the files, in the order of a snapshot's life:
//   Tree/DataTree.Image.cs     Capture() takes a TreeImage between two applies (reference copies only;
//                              nodes are copy-on-write, see Tree/Node.cs); Restore(image) rebuilds a tree.
//   SnapshotFormat*.cs         the file format (writes version 2, reads 1 and 2): header, ACL table, nodes,
//                              sessions, CRC-32C trailer. Pure.
//   Crc32C.cs                  the checksum.
//   SnapshotCorruptException   the one exception a bad snapshot produces.
//   SnapshotStore*.cs          this file: the directory of snapshot-<zxid>.snap files (the only I/O).
//   BackgroundThread.cs        the dedicated thread the applier serialises and writes a snapshot on.
//   SnapshotStore.Install.cs   a snapshot received from the leader, staged under a name recovery ignores
//                              until the journal reset commits the install (Recovery.Install.cs).
//   Recovery*.cs               newest valid snapshot + journal replay → the tree to serve, or a refusal;
//                              Recovery.Replay is the one replay loop (`coord verify` runs it too).
// Threading: Write may run on any thread (serialising an image needs nothing from the tree's owner); the
// store itself is not synchronised, so the caller runs at most one Write, Purge, DeleteNewerThan or install
// step at a time.
using System.Globalization;
using System.Runtime.InteropServices;
using Coord.Actors.Tree;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Actors.Journal;

/// <summary>A snapshot file and the zxid its name says it covers.</summary>
public sealed record SnapshotFile(string Path, long Zxid)
{
    public override string ToString() => $"{System.IO.Path.GetFileName(Path)} (zxid 0x{Zxid:x})";
}

/// <summary>A snapshot that passed its checksum and restored to a tree.</summary>
public sealed record LoadedSnapshot(SnapshotFile File, DataTree Tree);

/// <summary>
/// The snapshot files of one server: <c>snapshot-&lt;zxid as 16 hex digits&gt;.snap</c> in one directory.
/// A snapshot is written to a temp name, fsynced, renamed into place and the directory fsynced, so after a
/// crash a name either holds a complete file or does not exist.
/// </summary>
public sealed partial class SnapshotStore
{
    private const string Prefix = "snapshot-";
    private const string Suffix = ".snap";
    private const string TempSuffix = ".snap.tmp";
    private const int ZxidHexDigits = 16;

    private readonly ILogger _log;

    public SnapshotStore(string directory, ILogger? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = System.IO.Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
        _log = log ?? NullLogger.Instance;
    }

    public string Directory { get; }

    /// <summary>
    /// Told after each snapshot <see cref="Write"/> made durable: the file, how long writing and fsyncing it took, its
    /// size in bytes (the host's snapshot metrics). Called on the writing thread; it must be quick.
    /// </summary>
    public Action<SnapshotFile, TimeSpan, long>? Written { get; set; }

    public static string FileNameFor(long zxid) => Prefix + zxid.ToString("x16", CultureInfo.InvariantCulture) + Suffix;

    /// <summary>Writes the image durably; returns the file. An existing file of the same zxid is replaced.</summary>
    public SnapshotFile Write(TreeImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        string final = System.IO.Path.Combine(Directory, FileNameFor(image.LastZxid));
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        long bytes = 0;
        WriteDurably(final, final[..^Suffix.Length] + TempSuffix, fs =>
        {
            SnapshotFormat.Write(image, fs);
            bytes = fs.Length;
        });
        var file = new SnapshotFile(final, image.LastZxid);
        LogWritten(_log, file.Path, image.NodeCount, image.Sessions.Count);
        Written?.Invoke(file, System.Diagnostics.Stopwatch.GetElapsedTime(started), bytes);
        return file;
    }

    /// <summary>Complete snapshot files (temp files excluded), newest first.</summary>
    public IReadOnlyList<SnapshotFile> List()
    {
        var files = new List<SnapshotFile>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*" + Suffix))
            if (TryParseZxid(System.IO.Path.GetFileName(path), Suffix, out long zxid)) files.Add(new SnapshotFile(path, zxid));
        files.Sort((a, b) => b.Zxid.CompareTo(a.Zxid));
        return files;
    }

    /// <summary>
    /// The newest snapshot that passes its checksum and restores, skipping (with a warning each) newer files
    /// that do not; null when none does. <paramref name="skipped"/> lists what was passed over and why.
    /// Files named above <paramref name="atOrBelowZxid"/> are not considered at all (tail truncation rebuilds
    /// the state at a zxid older than the newest snapshots).
    /// </summary>
    public LoadedSnapshot? LoadNewestValid(List<(SnapshotFile File, string Reason)>? skipped = null, long atOrBelowZxid = long.MaxValue)
    {
        foreach (var file in List())
        {
            if (file.Zxid > atOrBelowZxid) continue;
            string reason;
            try
            {
                var tree = SnapshotFormat.ReadTree(File.ReadAllBytes(file.Path));
                if (tree.LastAppliedZxid == file.Zxid)
                {
                    LogLoaded(_log, file.Path, tree.NodeCount, tree.Sessions.Count);
                    return new LoadedSnapshot(file, tree);
                }
                reason = $"its header says zxid 0x{tree.LastAppliedZxid:x}, its name 0x{file.Zxid:x}";
            }
            catch (SnapshotCorruptException e) { reason = e.Message; }
            catch (IOException e) { reason = $"unreadable: {e.Message}"; }
            catch (UnauthorizedAccessException e) { reason = $"unreadable: {e.Message}"; }
            LogSkipped(_log, file.Path, reason);
            skipped?.Add((file, reason));
        }
        return null;
    }

    /// <summary>
    /// Deletes all but the newest <paramref name="keep"/> snapshots (by name; validity is not checked, so keep
    /// at least 2 to keep a fallback), and temp files left by interrupted writes older than the newest kept.
    /// Returns the deleted snapshots.
    /// </summary>
    public IReadOnlyList<SnapshotFile> Purge(int keep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var all = List();
        var gone = all.Skip(keep).ToList();
        foreach (var f in gone)
        {
            File.Delete(f.Path);
            LogPurged(_log, f.Path);
        }
        if (all.Count > 0)
            foreach (var path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*" + TempSuffix))
                if (TryParseZxid(System.IO.Path.GetFileName(path), TempSuffix, out long zxid) && zxid < all[0].Zxid)
                    File.Delete(path);
        if (gone.Count > 0) FsyncDirectory(Directory);
        return gone;
    }

    /// <summary>
    /// Deletes every snapshot named above <paramref name="zxid"/> (valid or not) and the temp files of
    /// interrupted writes above it, then fsyncs the directory: after a tail truncation to
    /// <paramref name="zxid"/> those files hold txns that no longer exist, and recovery, which loads the
    /// newest valid snapshot, would otherwise bring them back. Returns the deleted snapshots, newest first.
    /// </summary>
    public IReadOnlyList<SnapshotFile> DeleteNewerThan(long zxid)
    {
        var gone = List().Where(f => f.Zxid > zxid).ToList();
        foreach (var f in gone)
        {
            File.Delete(f.Path);
            LogDeletedNewer(_log, f.Path, zxid);
        }
        bool tempDeleted = false;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*" + TempSuffix))
            if (TryParseZxid(System.IO.Path.GetFileName(path), TempSuffix, out long tempZxid) && tempZxid > zxid)
            {
                File.Delete(path);
                tempDeleted = true;
            }
        if (gone.Count > 0 || tempDeleted) FsyncDirectory(Directory);
        return gone;
    }

    /// <summary>
    /// Writes <paramref name="temp"/>, fsyncs it, renames it to <paramref name="final"/> (replacing a file of that
    /// name) and fsyncs the directory: after a crash <paramref name="final"/> is either complete or as it was.
    /// </summary>
    private void WriteDurably(string final, string temp, Action<Stream> write)
    {
        using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            write(fs);
            fs.Flush(flushToDisk: true);
        }
        File.Move(temp, final, overwrite: true);
        FsyncDirectory(Directory);
    }

    private static bool TryParseZxid(string name, string suffix, out long zxid)
    {
        zxid = 0;
        if (name.Length != Prefix.Length + ZxidHexDigits + suffix.Length || !name.StartsWith(Prefix, StringComparison.Ordinal)
            || !name.EndsWith(suffix, StringComparison.Ordinal))
            return false;
        return long.TryParse(name.AsSpan(Prefix.Length, ZxidHexDigits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out zxid);
    }

    /// <summary>
    /// Makes the rename durable: on POSIX a new directory entry survives a crash only once the directory is
    /// fsynced. .NET cannot open a directory as a stream, so this goes to libc. Windows (NTFS journals its
    /// metadata) has no equivalent call and skips it.
    /// </summary>
    private static void FsyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Posix.Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open directory {directory} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Posix.Fsync(fd) != 0) throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Posix.Close(fd);
        }
    }

    // DllImport rather than LibraryImport: the generated stubs need unsafe code, which this project does not enable.
    private static class Posix
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        public static extern int Open(string path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        public static extern int Close(int fd);
    }
}

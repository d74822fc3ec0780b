namespace Coord.Actors.Journal;

/// <summary>
/// The file side of installing a snapshot received from the leader (Zab's SNAP). The bytes are first
/// staged as <c>snapshot-&lt;zxid&gt;.install</c>, a name <see cref="List"/> and <see cref="LoadNewestValid"/> do
/// not see, so a crash before the install commits cannot make recovery replay this member's old journal on
/// top of the leader's snapshot. Whether the install committed is the journal's to say (its reset to the
/// snapshot's zxid is the commit point); <see cref="Recovery.InstallSnapshotAsync"/> and
/// <see cref="Recovery.Recover"/> decide, and these methods only move files.
/// </summary>
public sealed partial class SnapshotStore
{
    private const string InstallSuffix = ".install";
    private const string InstallTempSuffix = ".install.tmp";

    /// <summary>
    /// Writes <paramref name="bytes"/> (a whole snapshot at <paramref name="zxid"/>, checked by the caller) as the
    /// staged install, durably: temp file, fsync, rename, directory fsync. Replaces a staged file of the same zxid.
    /// </summary>
    public SnapshotFile StageInstall(ReadOnlyMemory<byte> bytes, long zxid)
    {
        string staged = System.IO.Path.Combine(Directory, Prefix + zxid.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + InstallSuffix);
        WriteDurably(staged, staged + ".tmp", fs => fs.Write(bytes.Span));
        LogStaged(_log, staged, zxid);
        return new SnapshotFile(staged, zxid);
    }

    /// <summary>
    /// Starts staging a snapshot at <paramref name="zxid"/> whose bytes arrive in pieces (a learner's SNAP): written to the
    /// staging temp file as they come, made durable and given the staged name by <see cref="StagingFile.Commit"/>. A
    /// staging disposed before it commits deletes its temp file; one left by a crash is deleted at the next start.
    /// </summary>
    public StagingFile BeginStaging(long zxid)
    {
        string staged = System.IO.Path.Combine(Directory, Prefix + zxid.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + InstallSuffix);
        return new StagingFile(this, staged, zxid);
    }

    /// <summary>A staged install being written piece by piece (see <see cref="BeginStaging"/>). One thread at a time.</summary>
    public sealed class StagingFile : IDisposable
    {
        private readonly SnapshotStore _store;
        private readonly string _staged;
        private readonly string _temp;
        private readonly long _zxid;
        private FileStream? _file;

        internal StagingFile(SnapshotStore store, string staged, long zxid)
        {
            _store = store;
            _staged = staged;
            _temp = staged + ".tmp";
            _zxid = zxid;
            _file = new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        }

        public long Length { get; private set; }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            (_file ?? throw new ObjectDisposedException(_temp)).Write(bytes);
            Length += bytes.Length;
        }

        /// <summary>What was written so far to the disk (fsync), so that the last one before <see cref="Commit"/> is short.</summary>
        public void Sync() => (_file ?? throw new ObjectDisposedException(_temp)).Flush(flushToDisk: true);

        /// <summary>fsync, close, rename to the staged name, fsync the directory: the staged install of <see cref="Recovery.InstallSnapshotAsync"/>'s step (2).</summary>
        public SnapshotFile Commit()
        {
            var file = _file ?? throw new ObjectDisposedException(_temp);
            file.Flush(flushToDisk: true);
            file.Dispose();
            _file = null;
            File.Move(_temp, _staged, overwrite: true);
            FsyncDirectory(_store.Directory);
            LogStaged(_store._log, _staged, _zxid);
            return new SnapshotFile(_staged, _zxid);
        }

        /// <summary>Before <see cref="Commit"/>: closes and deletes the temp file (never the staged one).</summary>
        public void Dispose()
        {
            if (_file is null) return;
            _file.Dispose();
            _file = null;
            File.Delete(_temp);
        }
    }

    /// <summary>Staged installs left by an install that did not finish (normally none), newest first.</summary>
    public IReadOnlyList<SnapshotFile> ListStaged()
    {
        var files = new List<SnapshotFile>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "*" + InstallSuffix))
            if (TryParseZxid(System.IO.Path.GetFileName(path), InstallSuffix, out long zxid)) files.Add(new SnapshotFile(path, zxid));
        files.Sort((a, b) => b.Zxid.CompareTo(a.Zxid));
        return files;
    }

    /// <summary>
    /// Finishes an install whose journal reset committed: deletes every other snapshot (newer ones hold state the
    /// leader's history replaced; older ones this member's own history, which the reset journal can no longer
    /// extend), temp files and other staged installs, then renames <paramref name="staged"/> to the snapshot
    /// name of its zxid and fsyncs the directory. Safe to repeat after a crash at any point of it: the staged
    /// file is renamed last, so until then a restart finds it and finishes again. Returns the snapshot.
    /// </summary>
    public SnapshotFile CommitInstall(SnapshotFile staged)
    {
        ArgumentNullException.ThrowIfNull(staged);
        if (!File.Exists(staged.Path)) throw new FileNotFoundException($"no staged snapshot {staged.Path} to install", staged.Path);
        string final = System.IO.Path.Combine(Directory, FileNameFor(staged.Zxid));
        foreach (var f in List())
        {
            File.Delete(f.Path);
            LogReplacedByInstall(_log, f.Path, staged.Zxid);
        }
        DeleteLeftovers(keep: staged.Path, snapshotTemps: true);
        File.Move(staged.Path, final, overwrite: true);
        FsyncDirectory(Directory);
        return new SnapshotFile(final, staged.Zxid);
    }

    /// <summary>Deletes staged installs whose journal reset never committed (and their temp files); fsyncs the directory.</summary>
    public void DiscardStaged()
    {
        if (DeleteLeftovers(keep: null, snapshotTemps: false)) FsyncDirectory(Directory);
    }

    /// <summary>
    /// Staged installs but <paramref name="keep"/> and staging temp files, and with <paramref name="snapshotTemps"/>
    /// the temp files of interrupted snapshot writes. True when any was deleted.
    /// </summary>
    private bool DeleteLeftovers(string? keep, bool snapshotTemps)
    {
        bool deleted = false;
        string[] patterns = snapshotTemps
            ? [Prefix + "*" + TempSuffix, Prefix + "*" + InstallSuffix, Prefix + "*" + InstallTempSuffix]
            : [Prefix + "*" + InstallSuffix, Prefix + "*" + InstallTempSuffix];
        foreach (var pattern in patterns)
            foreach (var path in System.IO.Directory.EnumerateFiles(Directory, pattern))
            {
                if (string.Equals(path, keep, StringComparison.Ordinal)) continue;
                File.Delete(path);
                if (path.EndsWith(InstallSuffix, StringComparison.Ordinal)) LogStagedDiscarded(_log, path);
                deleted = true;
            }
        return deleted;
    }
}

using System.Security.Cryptography;
using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Host.Cli;

namespace Coord.Host.Specs.Cli;

/// <summary>
/// A real data dir for the operator-tool specs: txns go through the SQLite journal and <see cref="DataTree.Apply"/>
/// of a live tree (as the server commits them), snapshots through <see cref="SnapshotStore"/> into
/// <c>DIR/snapshots</c>. Each txn is built from the live state so it applies (parent cversion, versions).
/// </summary>
internal sealed class DataDir : IAsyncDisposable
{
    public const long Epoch1 = 1L << 32;
    public const long TimeMs = 1_700_000_000_000;

    private readonly SqliteJournal _journal;
    private readonly SnapshotStore _snapshots;
    private int _cxid;

    public DataDir(string path)
    {
        Path = path;
        _journal = SqliteJournal.Open(path);
        _snapshots = new SnapshotStore(System.IO.Path.Combine(path, SnapshotCommand.SnapshotsFolder));
    }

    public string Path { get; }
    public DataTree Tree { get; } = new();
    public long LastZxid => Tree.LastAppliedZxid;

    public async Task CommitAsync(long session, Txn body)
    {
        long zxid = LastZxid < Epoch1 ? Epoch1 + 1 : LastZxid + 1;
        var txn = new SequencedTxn(new TxnHeader(session, ++_cxid, zxid, TimeMs), body);
        Tree.Apply(txn);
        await _journal.AppendAsync([txn]);
    }

    public Task CreateSessionAsync(long session) => CommitAsync(session, new CreateSessionTxn(session, 30_000, new byte[16]));

    public Task CreateAsync(string path, string data, long owner = 0, long session = 0x42)
    {
        string parent = path.LastIndexOf('/') is var slash && slash == 0 ? "/" : path[..slash];
        int pcv = Tree.Get(parent)!.StoredCversion + 1;
        return CommitAsync(session, new CreateTxn(path, System.Text.Encoding.UTF8.GetBytes(data), Acl.OpenAclUnsafe, owner, pcv));
    }

    public Task SetAsync(string path, string data) =>
        CommitAsync(0x42, new SetDataTxn(path, System.Text.Encoding.UTF8.GetBytes(data), Tree.Get(path)!.Stat.Version + 1));

    public Task DeleteAsync(string path) => CommitAsync(0x42, new DeleteTxn(path));

    public Task PurgeThroughAsync(long zxid) => _journal.PurgeThroughAsync(zxid).AsTask();

    public SnapshotFile Snapshot() => _snapshots.Write(Tree.Capture());

    public ValueTask DisposeAsync() => _journal.DisposeAsync();

    /// <summary>Every file under <paramref name="dir"/> with a hash of its bytes: what "changes nothing" compares.</summary>
    public static SortedDictionary<string, string> Fingerprint(string dir)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            files[System.IO.Path.GetRelativePath(dir, f)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
        return files;
    }
}

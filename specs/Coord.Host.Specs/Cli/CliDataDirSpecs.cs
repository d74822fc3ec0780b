using Coord.Actors.Journal;
using Coord.Host.Cli;

namespace Coord.Host.Specs.Cli;

/// <summary>
/// Shared setup of the snapshot dump and verify specs: a data dir with two snapshots and a journal that goes
/// past them. Txns 1-6 (two sessions, /app, /app/a, ephemeral /app/eph of 0x42, a set) → snapshot 0x100000006;
/// 7-10 (/app/b created and deleted, a set, ephemeral /app/eph2 of 0x43) → snapshot 0x10000000a; 11-13
/// (/app/c, a set, close of 0x43). The journal holds every txn unless a spec purges it.
/// </summary>
public abstract class CliDataDirSpecs : IDisposable
{
    protected const long Z6 = DataDir.Epoch1 + 6, Z10 = DataDir.Epoch1 + 10, Z12 = DataDir.Epoch1 + 12, Z13 = DataDir.Epoch1 + 13;

    protected string Dir { get; } = Directory.CreateTempSubdirectory("coord-tools-").FullName;
    protected string SnapshotsDir => Path.Combine(Dir, SnapshotCommand.SnapshotsFolder);
    protected string Snapshot6 => Path.Combine(SnapshotsDir, SnapshotStore.FileNameFor(Z6));
    protected string Snapshot10 => Path.Combine(SnapshotsDir, SnapshotStore.FileNameFor(Z10));

    /// <summary>The live tree's digest after txn 12 and after txn 13 (the last).</summary>
    protected ulong DigestAt12 { get; private set; }
    protected ulong DigestAt13 { get; private set; }
    protected int NodesAt13 { get; private set; }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } // best effort
        GC.SuppressFinalize(this);
    }

    protected async Task BuildAsync(long purgeThrough = 0)
    {
        await using var d = new DataDir(Dir);
        await d.CreateSessionAsync(0x42);
        await d.CreateSessionAsync(0x43);
        await d.CreateAsync("/app", "v1");
        await d.CreateAsync("/app/a", "a");
        await d.CreateAsync("/app/eph", "e", owner: 0x42);
        await d.SetAsync("/app", "v2");
        Assert.Equal(Z6, d.Snapshot().Zxid);
        await d.CreateAsync("/app/b", "b");
        await d.SetAsync("/app/a", "a2");
        await d.DeleteAsync("/app/b");
        await d.CreateAsync("/app/eph2", "e2", owner: 0x43, session: 0x43);
        Assert.Equal(Z10, d.Snapshot().Zxid);
        await d.CreateAsync("/app/c", "c");
        await d.SetAsync("/app/c", "c2");
        DigestAt12 = d.Tree.Digest();
        await d.CommitAsync(0x43, new Coord.Actors.Txns.CloseSessionTxn(0x43, ["/app/eph2"]));
        Assert.Equal(Z13, d.LastZxid);
        DigestAt13 = d.Tree.Digest();
        NodesAt13 = d.Tree.NodeCount;
        if (purgeThrough > 0) await d.PurgeThroughAsync(purgeThrough);
    }

    /// <summary>Flips one byte in the middle of a file, past its header.</summary>
    protected static void FlipByte(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(path, bytes);
    }

    protected static async Task<(int Exit, string[] Lines, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await CoordCli.RunAsync(args, output, error);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        return (exit, lines, error.ToString());
    }
}

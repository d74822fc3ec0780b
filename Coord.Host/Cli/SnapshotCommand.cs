using System.CommandLine;
using Coord.Actors.Journal;
using Coord.Actors.Tree;

namespace Coord.Host.Cli;

/// <summary>`coord snapshot dump DIR`: one header line per snapshot file (and with --nodes every node and session); changes nothing.</summary>
public static class SnapshotCommand
{
    /// <summary>The folder of a data dir that holds the snapshot files.</summary>
    public const string SnapshotsFolder = "snapshots";

    public static Command Create()
    {
        var snapshot = new Command("snapshot", "Inspect a server's snapshots");
        snapshot.Subcommands.Add(CreateDump());
        return snapshot;
    }

    private static Command CreateDump()
    {
        var dir = new Argument<FileSystemInfo>("DIR") { Description = "the server's data dir, its snapshots folder, or one .snap file" };
        var nodes = new Option<bool>("--nodes") { Description = "also print every node and session of each intact snapshot" };
        var dump = new Command("dump", "Print each snapshot (zxid, nodes, sessions, size, checksum); exit 1 if any is corrupt, 2 if none is found")
        {
            dir, nodes,
        };
        dump.SetAction(parse => Dump(parse.GetRequiredValue(dir), parse.GetValue(nodes),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return dump;
    }

    /// <summary>Exit codes: 0 all intact, 1 any corrupt, 2 no snapshot there.</summary>
    private static int Dump(FileSystemInfo target, bool withNodes, TextWriter output, TextWriter error)
    {
        var files = Find(target.FullName);
        if (files.Count == 0)
        {
            error.WriteLine($"coord: no snapshot files (snapshot-<zxid>.snap) at {target.FullName}");
            return 2;
        }
        int corrupt = 0;
        foreach (var file in files)
        {
            var check = SnapshotCheck.Run(file);
            output.WriteLine(check.ToString());
            if (check.Tree is null)
            {
                corrupt++;
                continue;
            }
            if (withNodes) WriteContents(check.Tree, output);
        }
        output.WriteLine($"{files.Count} snapshots, {files.Count - corrupt} intact, {corrupt} corrupt");
        return corrupt > 0 ? 1 : 0;
    }

    /// <summary>
    /// The snapshot files at <paramref name="path"/>, oldest first: a single file as given, else the
    /// snapshots folder of a data dir, else the folder itself. Creates nothing (a <see cref="SnapshotStore"/>
    /// is only made over a folder that exists).
    /// </summary>
    internal static IReadOnlyList<SnapshotPath> Find(string path)
    {
        if (File.Exists(path)) return [new SnapshotPath(path, null)];
        string folder = Path.Combine(path, SnapshotsFolder);
        if (!Directory.Exists(folder)) folder = path;
        if (!Directory.Exists(folder)) return [];
        return new SnapshotStore(folder).List().Reverse().Select(f => new SnapshotPath(f.Path, f.Zxid)).ToList();
    }

    private static void WriteContents(DataTree tree, TextWriter output)
    {
        // Depth first in ordinal child order: parents before children, the same order on every run.
        var pending = new Stack<string>();
        pending.Push("/");
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            if (tree.Get(path) is not { } node) continue;
            output.WriteLine(Describe(node));
            string prefix = path == "/" ? "/" : path + "/";
            foreach (var child in node.Children.Reverse()) pending.Push(prefix + child);
        }
        foreach (var s in tree.Sessions.Values.OrderBy(s => s.SessionId))
            output.WriteLine($"session 0x{s.SessionId:x} timeout={s.TimeoutMs} ms");
    }

    /// <summary><c>/path  czxid=0x.. mzxid=0x.. pzxid=0x.. v=.. cv=.. av=.. owner=0x.. len=.. acl=[world:anyone:31]</c>; owner is the stored value (container and TTL markers included).</summary>
    internal static string Describe(INodeView node)
    {
        var st = node.Stat;
        return $"{node.Path}  czxid=0x{st.Czxid:x} mzxid=0x{st.Mzxid:x} pzxid=0x{st.Pzxid:x} v={st.Version} cv={st.Cversion} " +
               $"av={st.Aversion} owner=0x{node.EphemeralOwnerRaw:x} len={st.DataLength} acl=[{string.Join(",", node.Acl)}]";
    }

}

/// <summary>A snapshot file to check; <see cref="NameZxid"/> is the zxid its name says, null when it was given by any name.</summary>
internal sealed record SnapshotPath(string Path, long? NameZxid);

/// <summary>
/// One snapshot file read and checked the way recovery checks it (checksum, body, contents form a tree, the
/// name's zxid matches the header's), without changing anything. <see cref="Tree"/> is null when it fails.
/// </summary>
internal sealed record SnapshotCheck(string Path, long Zxid, long Size, DataTree? Tree, string? Problem)
{
    public bool Intact => Problem is null;

    public static SnapshotCheck Run(SnapshotPath file)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(file.Path, file.NameZxid ?? 0, 0, null, $"unreadable: {e.Message}");
        }
        long zxid = file.NameZxid ?? 0;
        try
        {
            zxid = SnapshotFormat.ReadLastZxid(bytes);
            var tree = SnapshotFormat.ReadTree(bytes);
            if (file.NameZxid is { } named && tree.LastAppliedZxid != named)
                return new(file.Path, named, bytes.Length, null, $"its header says zxid 0x{tree.LastAppliedZxid:x}, its name 0x{named:x}");
            return new(file.Path, zxid, bytes.Length, tree, null);
        }
        catch (SnapshotCorruptException e)
        {
            return new(file.Path, zxid, bytes.Length, null, e.Message);
        }
    }

    public string Name => System.IO.Path.GetFileName(Path);

    public override string ToString() => Tree is { } t
        ? $"{Name} zxid=0x{Zxid:x} nodes={t.NodeCount} sessions={t.Sessions.Count} size={Size}B checksum OK"
        : $"{Name} zxid=0x{Zxid:x} size={Size}B checksum FAILED: {Problem}";
}

namespace Coord.Fuzz;

/// <summary>
/// The committed corpus, <c>specs/Coord.Fuzz/corpus/{frame,peer}/</c>: one input per file, exactly the bytes the
/// target is run on (afl-fuzz's format). Found by walking up from <paramref name="start"/> to Coord.sln.
/// </summary>
public static class FuzzCorpusFiles
{
    public const string Frame = "frame";
    public const string Peer = "peer";

    public static string Directory(string target, string? start = null) =>
        Path.Combine(RepositoryRoot(start), "specs", "Coord.Fuzz", "corpus", target);

    /// <summary>Every file of a target's corpus, sorted by name.</summary>
    public static IReadOnlyList<string> Files(string target, string? start = null) =>
        [.. System.IO.Directory.GetFiles(Directory(target, start)).Order(StringComparer.Ordinal)];

    public static string RepositoryRoot(string? start = null)
    {
        for (var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Coord.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Coord.sln not found above {start ?? AppContext.BaseDirectory}");
    }
}

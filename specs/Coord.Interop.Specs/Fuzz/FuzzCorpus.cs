using System.Buffers.Binary;

namespace Coord.Interop.Specs.Fuzz;

/// <summary>One recorded client connection: its frames in order, each with its 4-byte length prefix.</summary>
/// <param name="Name">File name without extension, e.g. "kazoo-003" or "zkcli-012".</param>
public sealed record CorpusConnection(string Name, IReadOnlyList<byte[]> Frames)
{
    /// <summary>The ConnectRequest (first frame).</summary>
    public byte[] Connect => Frames[0];

    /// <summary>Every frame after the ConnectRequest (RequestHeader + record).</summary>
    public IEnumerable<byte[]> Requests => Frames.Skip(1);
}

/// <summary>
/// The seed corpus in <c>specs/Coord.Interop.Specs/Fuzz/corpus/*.bin</c>. Format: one file per recorded
/// client connection, holding exactly the bytes that client sent to the server, cut at a frame boundary:
/// a sequence of frames, each a 4-byte big-endian signed length N followed by N payload bytes. The first
/// frame is the ConnectRequest (no RequestHeader), every later one a RequestHeader + request record.
/// </summary>
public static class FuzzCorpus
{
    /// <summary>The committed corpus folder, found by walking up from the test assembly to Coord.sln.</summary>
    public static string Directory => Path.Combine(FindRoot(), "specs", "Coord.Interop.Specs", "Fuzz", "corpus");

    /// <summary>Loads every <c>*.bin</c> of <paramref name="directory"/> (default: the committed corpus), sorted by name.</summary>
    public static IReadOnlyList<CorpusConnection> Load(string? directory = null)
    {
        directory ??= Directory;
        return [.. System.IO.Directory.GetFiles(directory, "*.bin")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => new CorpusConnection(Path.GetFileNameWithoutExtension(f), Split(File.ReadAllBytes(f))))
            .Where(c => c.Frames.Count > 0)];
    }

    /// <summary>All request frames of the corpus (no ConnectRequests).</summary>
    public static IReadOnlyList<byte[]> RequestFrames(IReadOnlyList<CorpusConnection>? corpus = null) =>
        [.. (corpus ?? Load()).SelectMany(c => c.Requests)];

    /// <summary>Cuts a byte stream into frames (prefix included); a trailing partial frame is dropped.</summary>
    public static IReadOnlyList<byte[]> Split(ReadOnlySpan<byte> stream)
    {
        var frames = new List<byte[]>();
        var at = 0;
        while (stream.Length - at >= 4)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(stream[at..]);
            if (length < 0 || stream.Length - at - 4 < length)
            {
                break;
            }

            frames.Add(stream.Slice(at, 4 + length).ToArray());
            at += 4 + length;
        }

        return frames;
    }

    /// <summary>Writes one connection in the corpus format.</summary>
    public static void Save(string path, IEnumerable<byte[]> frames)
    {
        using var file = File.Create(path);
        foreach (var frame in frames)
        {
            file.Write(frame);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Coord.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Coord.sln not found above {AppContext.BaseDirectory}");
    }
}

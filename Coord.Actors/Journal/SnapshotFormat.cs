using System.Buffers;
using System.Buffers.Binary;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Journal;

/// <summary>
/// The snapshot file format, version 2, all integers big-endian, fields jute-encoded:
/// <code>
/// header   "COORDSNP"  int formatVersion  long lastZxid  int nodeCount  int sessionCount
/// acls     int aclCount, then aclCount × ACL list (<see cref="AclCodec"/>; each distinct list once)
/// node     ustring path  buffer data (-1 = null)  int aclIndex  long czxid  long mzxid  long ctime
///          long mtime  int version  int storedCversion  int aversion  long ephemeralOwnerRaw  long pzxid
/// session  long id  int timeoutMs  buffer password
/// trailer  uint CRC-32C of every byte before it
/// </code>
/// Nodes are written in creation order (czxid, then ordinal path for the nodes of one multi and the
/// built-in ones at zxid 0), ACL lists in order of first use, sessions in id order: equal states give equal
/// bytes on every replica. Children are not stored: they follow from the paths.
/// <para>
/// Why version 2 (version 1 is still read, see SnapshotFormat.Read.cs): version 1 stored each node's ACL
/// list inline and sorted nodes by path. A snapshot runs on a background thread while writes go on, so
/// its cost is taken from the writes: the per-node ACL vector (an enumerator allocation and ~40 bytes per
/// node, a list per node to read back) and a string sort of millions of paths were most of it. Now the
/// sort is on a long key, the ACL is a 4-byte index, the scratch arrays come from the pool and the
/// checksum uses the CPU's CRC-32C instruction: no allocation per node on the write side.
/// </para>
/// </summary>
public static partial class SnapshotFormat
{
    /// <summary>The version written. <see cref="Read"/> also accepts <see cref="FormatVersion1"/>.</summary>
    public const int FormatVersion = 2;
    public const int FormatVersion1 = 1;
    public const int HeaderBytes = 8 + 4 + 8 + 4 + 4;
    public const int TrailerBytes = 4;

    public static ReadOnlySpan<byte> Magic => "COORDSNP"u8;

    private const int ChunkBytes = 1 << 16;

    /// <summary>
    /// Serialises the image to <paramref name="output"/>. Safe on any thread while the tree applies.
    /// <paramref name="sizeKnown"/>, when given, hears the exact number of bytes that will be written before the first
    /// of them is (a leader streaming SNAP announces its chunk count up front).
    /// </summary>
    public static void Write(TreeImage image, Stream output, Action<long>? sizeKnown = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(output);
        var source = image.Nodes;
        int count = source.Length;
        // Scratch copies: the image is shared (it may be serialised twice at once) and must not be reordered.
        var nodes = ArrayPool<Node>.Shared.Rent(count);
        var keys = ArrayPool<long>.Shared.Rent(count);
        var aclIndex = ArrayPool<int>.Shared.Rent(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                nodes[i] = source[i];
                keys[i] = source[i].Czxid;
            }
            SortInCreationOrder(keys, nodes, count);
            var acls = IndexAcls(nodes, count, aclIndex);
            WriteSorted(image, nodes, count, acls, aclIndex, output, sizeKnown);
        }
        finally
        {
            Array.Clear(nodes, 0, count); // the pool must not keep a dead tree alive
            ArrayPool<Node>.Shared.Return(nodes);
            ArrayPool<long>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(aclIndex);
        }
    }

    public static byte[] ToBytes(TreeImage image)
    {
        using var ms = new MemoryStream();
        Write(image, ms);
        return ms.ToArray();
    }

    /// <summary>
    /// Sorts by czxid (a primitive sort, far cheaper than comparing paths), then by ordinal path within each
    /// run of equal czxid: the nodes one multi created, and the built-in nodes at 0.
    /// </summary>
    private static void SortInCreationOrder(long[] keys, Node[] nodes, int count)
    {
        Array.Sort(keys, nodes, 0, count);
        for (int start = 0; start < count;)
        {
            int end = start + 1;
            while (end < count && keys[end] == keys[start]) end++;
            if (end - start > 1) Array.Sort(nodes, start, end - start, PathOrder.Instance);
            start = end;
        }
    }

    /// <summary>
    /// The exact size <see cref="WriteSorted"/> writes: fixed fields plus the UTF-8 lengths of paths and the lengths of
    /// values; the few ACL lists are encoded into <paramref name="scratch"/> (left empty) to measure them.
    /// </summary>
    private static long SizeOf(Node[] nodes, int count, List<IReadOnlyList<Acl>> acls, SessionRecord[] sessions, JuteWriter scratch)
    {
        long size = HeaderBytes + 4 + TrailerBytes;
        foreach (var list in acls)
        {
            AclCodec.WriteList(scratch, list);
            size += scratch.Length;
            scratch.Reset();
        }
        for (int i = 0; i < count; i++)
            size += NodeFixedBytes + System.Text.Encoding.UTF8.GetByteCount(nodes[i].Path) + (nodes[i].Data?.Length ?? 0);
        foreach (var s in sessions) size += 16 + (s.Password?.Length ?? 0);
        return size;
    }

    /// <summary>A node's bytes besides its path and value: two lengths, the ACL index and the stat.</summary>
    private const int NodeFixedBytes = 4 + 4 + 64;

    private sealed class PathOrder : IComparer<Node>
    {
        public static readonly PathOrder Instance = new();
        public int Compare(Node? x, Node? y) => string.CompareOrdinal(x!.Path, y!.Path);
    }

    /// <summary>The distinct ACL lists in order of first use, and each node's index into them.</summary>
    private static List<IReadOnlyList<Acl>> IndexAcls(Node[] nodes, int count, int[] aclIndex)
    {
        var table = new List<IReadOnlyList<Acl>>();
        // The tree interns its lists, so a reference lookup nearly always answers; equal lists that are
        // distinct objects still share one entry through the content lookup.
        var byReference = new Dictionary<IReadOnlyList<Acl>, int>(ReferenceEqualityComparer.Instance);
        var byContent = new Dictionary<IReadOnlyList<Acl>, int>(AclCache.ListComparer.Instance);
        IReadOnlyList<Acl>? last = null;
        int lastIndex = -1;
        for (int i = 0; i < count; i++)
        {
            var acl = nodes[i].Acl;
            if (!ReferenceEquals(acl, last))
            {
                if (!byReference.TryGetValue(acl, out lastIndex))
                {
                    if (!byContent.TryGetValue(acl, out lastIndex))
                    {
                        lastIndex = table.Count;
                        table.Add(acl);
                        byContent.Add(acl, lastIndex);
                    }
                    byReference.Add(acl, lastIndex);
                }
                last = acl;
            }
            aclIndex[i] = lastIndex;
        }
        return table;
    }

    private static void WriteSorted(TreeImage image, Node[] nodes, int count, List<IReadOnlyList<Acl>> acls, int[] aclIndex, Stream output,
        Action<long>? sizeKnown)
    {
        var sessions = image.Sessions.OrderBy(s => s.SessionId).ToArray();
        var w = new JuteWriter(ChunkBytes + 4096);
        if (sizeKnown is not null) sizeKnown(SizeOf(nodes, count, acls, sessions, w));
        uint crc = 0;
        void Flush()
        {
            crc = Crc32C.Append(crc, w.WrittenSpan);
            output.Write(w.WrittenSpan);
            w.Reset();
        }

        w.WriteRaw(Magic);
        w.WriteInt(FormatVersion);
        w.WriteLong(image.LastZxid);
        w.WriteInt(count);
        w.WriteInt(sessions.Length);
        w.WriteInt(acls.Count);
        foreach (var list in acls)
        {
            AclCodec.WriteList(w, list);
            if (w.Length >= ChunkBytes) Flush();
        }
        for (int i = 0; i < count; i++)
        {
            var n = nodes[i];
            w.WriteString(n.Path);
            w.WriteBuffer(n.Data);
            w.WriteInt(aclIndex[i]);
            w.WriteLong(n.Czxid);
            w.WriteLong(n.Mzxid);
            w.WriteLong(n.Ctime);
            w.WriteLong(n.Mtime);
            w.WriteInt(n.Version);
            w.WriteInt(n.StoredCversion);
            w.WriteInt(n.Aversion);
            w.WriteLong(n.EphemeralOwnerRaw);
            w.WriteLong(n.Pzxid);
            if (w.Length >= ChunkBytes) Flush();
        }
        foreach (var s in sessions)
        {
            w.WriteLong(s.SessionId);
            w.WriteInt(s.TimeoutMs);
            w.WriteBuffer(s.Password);
            if (w.Length >= ChunkBytes) Flush();
        }
        Flush();
        Span<byte> trailer = stackalloc byte[TrailerBytes];
        BinaryPrimitives.WriteUInt32BigEndian(trailer, crc);
        output.Write(trailer);
    }
}

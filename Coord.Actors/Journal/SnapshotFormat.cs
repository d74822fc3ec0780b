using System.Buffers.Binary;
using Coord.Actors.Tree;
using Coord.Client.Protocol;

namespace Coord.Actors.Journal;

/// <summary>
/// The snapshot file format (version 1), all integers big-endian, fields jute-encoded:
/// <code>
/// header   "COORDSNP"  int formatVersion  long lastZxid  int nodeCount  int sessionCount
/// node     ustring path  buffer data (-1 = null)  vector&lt;Acl&gt; acl  long czxid  long mzxid  long ctime
///          long mtime  int version  int storedCversion  int aversion  long ephemeralOwnerRaw  long pzxid
/// session  long id  int timeoutMs  buffer password
/// trailer  uint CRC-32C of every byte before it
/// </code>
/// Nodes are written in ordinal path order and sessions in id order, so equal states give equal bytes on
/// every replica. Children are not stored: they follow from the paths. Writing sorts a copy of the image
/// and streams it in chunks; reading takes the whole file (a file is at most <see cref="Array.MaxLength"/> bytes).
/// </summary>
public static class SnapshotFormat
{
    public const int FormatVersion = 1;
    public const int HeaderBytes = 8 + 4 + 8 + 4 + 4;
    public const int TrailerBytes = 4;

    public static ReadOnlySpan<byte> Magic => "COORDSNP"u8;

    // Smallest encodings, to reject counts that cannot fit before allocating for them.
    private const int NodeBytesMin = 5 + 4 + 4 + 4 * 8 + 3 * 4 + 8 + 8;
    private const int SessionBytesMin = 8 + 4 + 4;
    private const int ChunkBytes = 1 << 16;

    /// <summary>Serialises the image to <paramref name="output"/>. Safe on any thread while the tree applies.</summary>
    public static void Write(TreeImage image, Stream output)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(output);
        var nodes = (Node[])image.Nodes.Clone();
        Array.Sort(nodes, static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        var sessions = image.Sessions.OrderBy(s => s.SessionId).ToArray();

        var w = new JuteWriter(ChunkBytes + 4096);
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
        w.WriteInt(nodes.Length);
        w.WriteInt(sessions.Length);
        foreach (var n in nodes)
        {
            w.WriteString(n.Path);
            w.WriteBuffer(n.Data);
            w.WriteInt(n.Acl.Count);
            foreach (var a in n.Acl) a.Write(w);
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
        }
        Flush();
        Span<byte> trailer = stackalloc byte[TrailerBytes];
        BinaryPrimitives.WriteUInt32BigEndian(trailer, crc);
        output.Write(trailer);
    }

    public static byte[] ToBytes(TreeImage image)
    {
        using var ms = new MemoryStream();
        Write(image, ms);
        return ms.ToArray();
    }

    /// <summary>The last zxid a snapshot claims, from its header alone (no checksum check).</summary>
    public static long ReadLastZxid(ReadOnlySpan<byte> header)
    {
        CheckHeader(header);
        return BinaryPrimitives.ReadInt64BigEndian(header[12..]);
    }

    /// <summary>Parses and checks a whole snapshot. Bad input of any kind throws <see cref="SnapshotCorruptException"/>.</summary>
    public static TreeImage Read(ReadOnlySpan<byte> bytes)
    {
        CheckHeader(bytes);
        if (bytes.Length < HeaderBytes + TrailerBytes) throw Corrupt($"truncated: {bytes.Length} bytes, less than a header and trailer");
        var covered = bytes[..^TrailerBytes];
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(bytes[^TrailerBytes..]);
        uint actual = Crc32C.Compute(covered);
        if (stored != actual) throw Corrupt($"checksum mismatch: stored 0x{stored:x8}, computed 0x{actual:x8} over {covered.Length} bytes");
        try
        {
            return ReadBody(covered);
        }
        catch (JuteException e)
        {
            throw Corrupt($"malformed body: {e.Message}", e);
        }
    }

    /// <summary><see cref="Read"/> then <see cref="DataTree.Restore"/>; contents that cannot form a tree are corrupt too.</summary>
    public static DataTree ReadTree(ReadOnlySpan<byte> bytes)
    {
        var image = Read(bytes);
        try
        {
            return DataTree.Restore(image);
        }
        catch (InvalidOperationException e)
        {
            throw Corrupt($"contents do not form a tree: {e.Message}", e);
        }
    }

    private static void CheckHeader(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes) throw Corrupt($"truncated: {bytes.Length} bytes, less than the {HeaderBytes}-byte header");
        if (!bytes[..Magic.Length].SequenceEqual(Magic)) throw Corrupt("not a Coord snapshot: magic is not COORDSNP");
        int version = BinaryPrimitives.ReadInt32BigEndian(bytes[8..]);
        if (version != FormatVersion) throw Corrupt($"format version {version} is not supported (this server reads {FormatVersion})");
    }

    private static TreeImage ReadBody(ReadOnlySpan<byte> covered)
    {
        var r = new JuteReader(covered);
        r.ReadLong();
        r.ReadInt();
        long lastZxid = r.ReadLong();
        int nodeCount = r.ReadInt();
        int sessionCount = r.ReadInt();
        if (nodeCount < 0 || sessionCount < 0
            || (long)nodeCount * NodeBytesMin + (long)sessionCount * SessionBytesMin > r.Remaining)
            throw Corrupt($"header claims {nodeCount} nodes and {sessionCount} sessions, more than {r.Remaining} bytes can hold");

        // Interned while reading: most nodes share a handful of ACL lists.
        var acls = new AclCache();
        var nodes = new Node[nodeCount];
        for (int i = 0; i < nodeCount; i++)
        {
            string path = r.ReadString() ?? throw Corrupt($"node {i} has a null path");
            byte[]? data = r.ReadBuffer();
            var acl = r.ReadVector<Acl>(Acl.MinWireBytes) ?? throw Corrupt($"node {path} has a null ACL");
            long czxid = r.ReadLong(), mzxid = r.ReadLong(), ctime = r.ReadLong(), mtime = r.ReadLong();
            int version = r.ReadInt(), cversion = r.ReadInt(), aversion = r.ReadInt();
            long owner = r.ReadLong(), pzxid = r.ReadLong();
            nodes[i] = new Node(path, data, acls.Intern(acl), owner, czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion);
        }
        var sessions = new SessionRecord[sessionCount];
        for (int i = 0; i < sessionCount; i++)
        {
            long id = r.ReadLong();
            int timeoutMs = r.ReadInt();
            byte[] password = r.ReadBuffer() ?? throw Corrupt($"session 0x{id:x} has a null password");
            sessions[i] = new SessionRecord(id, timeoutMs, password);
        }
        if (!r.AtEnd) throw Corrupt($"{r.Remaining} bytes after the last session");
        return new TreeImage(lastZxid, nodes, sessions);
    }

    private static SnapshotCorruptException Corrupt(string what, Exception? inner = null) => new($"corrupt snapshot: {what}", inner);
}
